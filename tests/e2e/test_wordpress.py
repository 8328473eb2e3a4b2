"""WordPress, the plugin and the PHP client against the real bridge (run by `nox -s e2e`).

The tests share one stack (see conftest.py) and run in file order: the bridge-down and
token-leak checks come last, because they look back at everything the others did.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import secrets
import subprocess
import time
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

import httpx
import pytest
from lxml import etree

from tests.e2e._wordpress import php_str

if TYPE_CHECKING:
    from tests.e2e._stack import Stack

pytestmark = pytest.mark.e2e

REPO = Path(__file__).resolve().parents[2]
PHP_DIR = REPO / "bridge" / "php"
PRICE = re.compile(r'<span class="switchyard-price">([^<]+)</span>')


def emulated_close(stack: Stack, symbol: str) -> Decimal:
    """The price the Alpha Vantage emulator serves for `symbol` (asked on the wire)."""
    answer = httpx.get(
        f"{stack.emulator_env['MARKETDATA_ALPHAVANTAGE_URL']}/query",
        params={"function": "GLOBAL_QUOTE", "symbol": symbol, "apikey": "e2e-av-key"},
        timeout=10,
    )
    return Decimal(answer.json()["Global Quote"]["05. price"])


def signed(secret: str, body: bytes, ts: int | None = None) -> dict[str, str]:
    """The headers the bridge sends on a WordPress callback."""
    stamp = int(time.time()) if ts is None else ts
    digest = hmac.new(secret.encode(), f"{stamp}.".encode() + body, hashlib.sha256).hexdigest()
    return {
        "Content-Type": "application/json",
        "X-Switchyard-Timestamp": str(stamp),
        "X-Switchyard-Signature": f"sha256={digest}",
    }


def action_log(stack: Stack) -> list[dict[str, object]]:
    """The plugin's record of signed actions received (newest first)."""
    out = stack.site.php_eval("echo wp_json_encode(get_option('switchyard_action_log', []));")
    return list(json.loads(out.strip().splitlines()[-1]))


def last_good(stack: Stack, kind: str, key: str) -> bool:
    """Whether the plugin holds a last good value for (kind, key)."""
    out = stack.site.php_eval(
        f"echo \\Switchyard\\WordPress\\LastGood::recall({php_str(kind)}, {php_str(key)})"
        " === null ? 'none' : 'kept';"
    )
    return out.strip().endswith("kept")


class TestShortcodes:
    def test_quote_shortcode_shows_the_emulated_price_through_the_bridge(
        self, stack: Stack
    ) -> None:
        page = stack.page("quote")
        assert page.status_code == 200
        prices = PRICE.findall(page.text)
        assert len(prices) == 1, page.text[-3000:]
        assert Decimal(prices[0]) == emulated_close(stack, "IBM")
        assert 'data-symbol="IBM"' in page.text
        assert "switchyard-stale" not in page.text
        with stack.bridge.client() as bridge:
            direct = bridge.get("/v1/quotes/IBM").json()
        assert Decimal(direct["price"]) == Decimal(prices[0])

    def test_five_quotes_render_on_one_page(self, stack: Stack) -> None:
        page = stack.page("five")
        assert page.status_code == 200
        shown = dict(
            re.findall(
                r'data-symbol="([A-Z]+)">.*?<span class="switchyard-price">([^<]+)<', page.text
            )
        )
        assert sorted(shown) == ["AAPL", "AMZN", "GOOG", "IBM", "MSFT"]
        for symbol, price in shown.items():
            assert Decimal(price) == emulated_close(stack, symbol), symbol

    def test_chart_renders_one_point_per_bar(self, stack: Stack) -> None:
        page = stack.page("chart")
        assert page.status_code == 200
        match = re.search(r"<svg class=\"switchyard-chart\".*?</svg>", page.text, re.S)
        assert match is not None, page.text[-3000:]
        svg = etree.fromstring(match.group(0).encode())
        ns = {"s": "http://www.w3.org/2000/svg"}
        polyline = svg.find("s:polyline", ns)
        assert polyline is not None
        points = str(polyline.get("points", "")).split()
        with stack.bridge.client() as bridge:
            history = bridge.get(
                "/v1/history/IBM", params={"range": "6mo", "interval": "1d"}
            ).json()
        assert len(points) == len(history["bars"]) > 20
        last_close = Decimal(
            str(sorted(history["bars"], key=lambda b: b["timestamp"])[-1]["close"])
        )
        labels = [t.text for t in svg.findall("s:text", ns)]
        assert f"{last_close:,.2f}" in labels


class TestLogForwarding:
    def test_php_warning_reaches_logkit_analysis(self, stack: Stack) -> None:
        sku = secrets.randbelow(900_000) + 100_000
        page = stack.get(f"{stack.site.url}/?switchyard_probe=warning&sku={sku}")
        assert page.status_code == 200
        # The previous handler (PHP's own) still logs it: the forwarder chains.
        assert f"Inventory sync failed for SKU {sku}" in stack.site.debug_log.read_text()
        deadline = time.monotonic() + 30
        analysis: object = None
        with stack.bridge.client() as bridge:
            while time.monotonic() < deadline:
                answer = bridge.get("/v1/logs/analysis")
                assert answer.status_code == 200
                analysis = answer.json()
                if "Inventory sync failed for SKU" in json.dumps(analysis):
                    break
                time.sleep(0.5)
        assert "Inventory sync failed for SKU" in json.dumps(analysis), analysis
        assert "Undefined array key" in json.dumps(analysis), analysis

    def test_fatal_error_reaches_logkit_analysis(self, stack: Stack) -> None:
        page = stack.get(f"{stack.site.url}/?switchyard_probe=fatal")
        assert page.status_code == 500
        assert "critical error" in page.text
        needle = "switchyard_e2e_function_that_does_not_exist"
        deadline = time.monotonic() + 30
        text = ""
        with stack.bridge.client() as bridge:
            while time.monotonic() < deadline and needle not in text:
                text = bridge.get("/v1/logs/analysis").text
                time.sleep(0.3)
        assert needle in text, text[-3000:]


class TestSignedActions:
    def test_unsigned_expired_tampered_and_replayed_calls_are_refused(self, stack: Stack) -> None:
        url = f"{stack.site.url}/?rest_route=/switchyard/v1/action"
        body = json.dumps(
            {"id": secrets.token_hex(8), "action": "ping"}, separators=(",", ":")
        ).encode()
        unsigned = httpx.post(url, content=body, headers={"Content-Type": "application/json"})
        assert unsigned.status_code == 401
        wrong = httpx.post(url, content=body, headers=signed("not-the-secret", body))
        assert wrong.status_code == 401
        expired = httpx.post(
            url, content=body, headers=signed(stack.action_secret, body, int(time.time()) - 301)
        )
        assert expired.status_code == 401
        headers = signed(stack.action_secret, body)
        tampered = httpx.post(url, content=body.replace(b"ping", b"flush_cache"), headers=headers)
        assert tampered.status_code == 401
        accepted = httpx.post(url, content=body, headers=headers)
        assert accepted.status_code == 200, accepted.text
        assert accepted.json()["result"] == {"pong": True}
        replayed = httpx.post(url, content=body, headers=headers)
        assert replayed.status_code == 409
        stack.outputs.extend(
            [unsigned.text, wrong.text, expired.text, tampered.text, replayed.text]
        )

    def test_alert_rule_fires_and_its_action_flushes_the_wordpress_cache(
        self, stack: Stack
    ) -> None:
        stack.page("quote")
        assert last_good(stack, "quote", "IBM")
        rule_id = f"e2e-orcl-{secrets.token_hex(3)}"
        with stack.bridge.client() as bridge:
            created = bridge.post(
                "/v1/alerts/rules",
                json={
                    "id": rule_id,
                    "kind": "price_above",
                    "symbol": "ORCL",
                    "threshold": "0.01",
                    "actions": ["wp_flush"],
                },
            )
            assert created.status_code in (200, 201), created.text
            # Every bridge worker's engine reloads the rules every 0.5 s; a tick that arrives
            # before that is evaluated without the new rule.
            time.sleep(1.5)
            # A fresh quote becomes a tick event; the rule fires; its action calls WordPress.
            assert bridge.get("/v1/quotes/ORCL").status_code == 200
            deadline = time.monotonic() + 30
            entries: list[dict[str, object]] = []
            while time.monotonic() < deadline:
                entries = [e for e in action_log(stack) if e.get("rule") == rule_id]
                if entries:
                    break
                time.sleep(0.5)
            assert entries, (action_log(stack), bridge.get("/v1/alerts/history").text)
            assert entries[0]["action"] in ("flush_cache", "clear_cache")
            assert not last_good(stack, "quote", "IBM")
            history = bridge.get("/v1/alerts/history").text
            assert rule_id in history
            assert bridge.delete(f"/v1/alerts/rules/{rule_id}").status_code in (200, 204)


def option(stack: Stack, name: str) -> object:
    """A WordPress option, decoded from JSON (None when missing)."""
    out = stack.site.php_eval(f"echo wp_json_encode(get_option({php_str(name)}, null));")
    return json.loads(out.strip().splitlines()[-1])


class TestMigratedPlugin:
    """A plugin written as bridge/README.md's migration guide shows (wp/legacy-migrated.php)."""

    def test_quote_call_and_wp_error_mapping(self, stack: Stack) -> None:
        page = stack.page("legacy")
        assert page.status_code == 200
        price = re.findall(r'<span class="legacy-price">([^<]+)</span>', page.text)
        assert [Decimal(p) for p in price] == [emulated_close(stack, "IBM")]
        assert 'data-code="switchyard_unknown_symbol"' in page.text

    def test_custom_action_runs_once_per_idempotency_key(self, stack: Stack) -> None:
        url = f"{stack.site.url}/?rest_route=/switchyard/v1/action"
        key = f"ntf_{secrets.token_hex(8)}:rebuild"
        body = json.dumps({"id": key, "action": "rebuild_ticker"}, separators=(",", ":")).encode()
        before = int(str(option(stack, "legacy_ticker_rebuilds") or 0))
        now = int(time.time())
        first = httpx.post(
            url,
            content=body,
            headers={**signed(stack.action_secret, body, now), "Idempotency-Key": key},
        )
        assert first.status_code == 200, first.text
        assert first.json()["result"] == {"rebuilt": True, "count": before + 1}
        # The outbox retries with a fresh signature and the same key: answered, not re-run.
        retry_headers = signed(stack.action_secret, body, now - 1)
        retried = httpx.post(url, content=body, headers={**retry_headers, "Idempotency-Key": key})
        assert retried.status_code == 200, retried.text
        assert retried.json() == {"ok": True, "duplicate": True}
        assert int(str(option(stack, "legacy_ticker_rebuilds"))) == before + 1

    def test_alert_notification_reaches_the_switchyard_alert_hook(self, stack: Stack) -> None:
        rule_id = f"e2e-nvda-{secrets.token_hex(3)}"
        with stack.bridge.client() as bridge:
            created = bridge.post(
                "/v1/alerts/rules",
                json={
                    "id": rule_id,
                    "kind": "price_above",
                    "symbol": "NVDA",
                    "threshold": "0.01",
                    "channels": ["wp"],
                },
            )
            assert created.status_code in (200, 201), created.text
            time.sleep(1.5)  # the engines' rule refresh, as above
            assert bridge.get("/v1/quotes/NVDA").status_code == 200
            deadline = time.monotonic() + 30
            last: object = None
            while time.monotonic() < deadline:
                last = option(stack, "legacy_last_alert")
                if isinstance(last, dict) and last.get("rule") == rule_id:
                    break
                time.sleep(0.5)
            assert last == {"rule": rule_id, "type": "alert.firing"}, (
                last,
                bridge.get("/v1/alerts/history").text[-2000:],
            )
            assert bridge.delete(f"/v1/alerts/rules/{rule_id}").status_code in (200, 204)


class TestPhpUnit:
    def test_client_unit_and_live_suites_pass(self, stack: Stack) -> None:
        result = self._phpunit(stack, "phpunit.xml.dist")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert re.search(r"^OK\b", result.stdout, re.M), result.stdout[-2000:]
        assert "Skipped" not in result.stdout, result.stdout[-4000:]

    def test_wordpress_suite_passes_inside_the_site(self, stack: Stack) -> None:
        result = self._phpunit(stack, "phpunit-wordpress.xml.dist")
        assert result.returncode == 0, result.stdout[-4000:] + result.stderr[-2000:]
        assert re.search(r"^OK \(", result.stdout, re.M), result.stdout[-4000:]

    @staticmethod
    def _phpunit(stack: Stack, config: str) -> subprocess.CompletedProcess[str]:
        env = {
            **os.environ,
            "SWITCHYARD_TEST_BRIDGE_URL": stack.bridge.url,
            "SWITCHYARD_TEST_BRIDGE_TOKEN": stack.bridge.token,
            "SWITCHYARD_TEST_BRIDGE_SOCKET": str(stack.socket_bridge.uds),
            "SWITCHYARD_TEST_WP_PREPEND": str(stack.site.prepend),
        }
        return subprocess.run(
            ["phpunit", "-c", str(PHP_DIR / config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=240,
            check=False,
            cwd=PHP_DIR,
        )


class TestBridgeDown:
    def test_page_still_renders_stale_values_when_the_bridge_is_stopped(self, stack: Stack) -> None:
        fresh = stack.page("stale")
        assert fresh.status_code == 200
        price = PRICE.findall(fresh.text)
        assert len(price) == 1
        assert "<svg" in fresh.text
        stack.bridge.stop()
        try:
            down = stack.page("stale")
            assert down.status_code == 200
            assert PRICE.findall(down.text) == price
            assert "switchyard-quote switchyard-stale" in down.text
            assert "switchyard-stale-note" in down.text
            assert 'class="switchyard-chart switchyard-stale"' in down.text
        finally:
            stack.bridge.start()
        again = stack.page("stale")
        assert "switchyard-stale" not in again.text


class TestSecrets:
    def test_token_never_appears_in_pages_admin_or_logs(self, stack: Stack) -> None:
        token = stack.bridge.token
        with httpx.Client(base_url=stack.site.url, timeout=30) as browser:
            browser.cookies.set("wordpress_test_cookie", "WP Cookie check")
            login = browser.post(
                "/wp-login.php",
                data={
                    "log": "admin",
                    "pwd": stack.site.admin_password,
                    "wp-submit": "Log In",
                    "testcookie": "1",
                    "redirect_to": f"{stack.site.url}/wp-admin/",
                },
            )
            assert login.status_code in (200, 302)
            settings = browser.get("/wp-admin/options-general.php", params={"page": "switchyard"})
        assert settings.status_code == 200
        assert "switchyard-health" in settings.text
        assert "accepted" in settings.text
        assert "Provider limit: " in settings.text
        assert "requests left" in settings.text
        stack.outputs.append(settings.text)
        assert stack.outputs
        for output in stack.outputs:
            assert token not in output
            assert stack.action_secret not in output
        for log in (stack.site.debug_log, stack.site.root / "php-server.log"):
            if log.exists():
                assert token not in log.read_text(errors="replace"), log
        options = stack.db.sql("SELECT option_name, option_value FROM wordpress.wp_options")
        assert token not in options


class TestUninstall:
    """Last: deleting the plugin removes what it stored."""

    def test_uninstall_removes_settings_cache_and_remembered_signatures(self, stack: Stack) -> None:
        stack.page("quote")
        query = (
            "SELECT COUNT(*) FROM wordpress.wp_options WHERE option_name LIKE 'switchyard%'"
            " OR option_name LIKE '\\_transient%switchyard%'"
        )
        assert int(stack.db.sql(query).strip()) > 0
        stack.site.php_eval(
            "require_once ABSPATH . 'wp-admin/includes/plugin.php';\n"
            "update_option('switchyard_settings', ['timeout' => 2.0]);\n"
            "uninstall_plugin('switchyard/switchyard.php');"
        )
        assert int(stack.db.sql(query).strip()) == 0
