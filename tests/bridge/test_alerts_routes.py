"""Alert rules over HTTP, and the wiring: quotes and logs become events that fire rules."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from marketdata.testing import FinnhubWebSocketEmulator
    from tests.bridge.receiver import WebhookReceiver
    from tests.bridge.server import RunningBridge


def _uid(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


class TestRuleCrud:
    def test_create_get_update_list_delete(self, bridge: RunningBridge) -> None:
        rule = {"kind": "price_above", "symbol": "IBM", "threshold": "150"}
        with bridge.client() as client:
            created = client.post("/v1/alerts/rules", json=rule)
            assert created.status_code == 201, created.text
            rule_id = created.json()["id"]
            assert rule_id.startswith("rule-")
            assert created.json()["threshold"] == "150"

            fetched = client.get(f"/v1/alerts/rules/{rule_id}")
            assert fetched.status_code == 200
            assert fetched.json()["symbol"] == "IBM"

            updated = client.put(f"/v1/alerts/rules/{rule_id}", json={**rule, "threshold": "175.5"})
            assert updated.status_code == 200, updated.text
            assert updated.json()["threshold"] == "175.5"

            listed = client.get("/v1/alerts/rules").json()["rules"]
            assert any(r["id"] == rule_id and r["threshold"] == "175.5" for r in listed)

            assert client.delete(f"/v1/alerts/rules/{rule_id}").status_code == 204
            gone = client.get(f"/v1/alerts/rules/{rule_id}")
        assert gone.status_code == 404
        assert _error(gone.json())["code"] == "not_found"

    def test_explicit_id_and_duplicate(self, bridge: RunningBridge) -> None:
        rule = {"id": _uid("dup"), "kind": "price_below", "symbol": "IBM", "threshold": "1"}
        with bridge.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
            again = client.post("/v1/alerts/rules", json=rule)
        assert again.status_code == 409
        assert _error(again.json())["code"] == "invalid_request"

    @pytest.mark.parametrize(
        ("rule", "fragment"),
        [
            pytest.param({"kind": "price_above", "symbol": "IBM"}, "threshold", id="missing"),
            pytest.param({"kind": "no_such_kind"}, "kind", id="unknown-kind"),
            pytest.param(
                {"kind": "price_above", "symbol": "IBM", "threshold": "x"},
                "threshold",
                id="bad-number",
            ),
            pytest.param(
                {"kind": "price_above", "symbol": "IBM", "threshold": "1", "channels": ["nope"]},
                "nope",
                id="unknown-channel",
            ),
        ],
    )
    def test_invalid_rule_is_422_naming_the_problem(
        self, bridge: RunningBridge, rule: dict[str, Any], fragment: str
    ) -> None:
        with bridge.client() as client:
            response = client.post("/v1/alerts/rules", json=rule)
        assert response.status_code == 422, response.text
        error = _error(response.json())
        assert error["code"] == "invalid_request"
        assert fragment in error["message"]

    def test_put_with_a_different_body_id_is_422(self, bridge: RunningBridge) -> None:
        rule = {"id": "other", "kind": "price_above", "symbol": "IBM", "threshold": "1"}
        with bridge.client() as client:
            response = client.put("/v1/alerts/rules/mine", json=rule)
        assert response.status_code == 422

    def test_update_of_a_missing_rule_is_404(self, bridge: RunningBridge) -> None:
        rule = {"kind": "price_above", "symbol": "IBM", "threshold": "1"}
        with bridge.client() as client:
            response = client.put(f"/v1/alerts/rules/{_uid('none')}", json=rule)
        assert response.status_code == 404


class TestRuleTest:
    def test_matching_and_not_matching_events(self, bridge: RunningBridge) -> None:
        rule = {"id": _uid("t"), "kind": "price_above", "symbol": "IBM", "threshold": "100"}
        tick = {
            "type": "tick",
            "symbol": "IBM",
            "price": "150",
            "timestamp": "2026-01-02T15:04:05Z",
        }
        with bridge.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
            fired = client.post(f"/v1/alerts/rules/{rule['id']}/test", json=tick)
            quiet = client.post(f"/v1/alerts/rules/{rule['id']}/test", json={**tick, "price": "50"})
            recent = client.post(f"/v1/alerts/rules/{rule['id']}/test")
        assert fired.status_code == 200, fired.text
        body = fired.json()
        assert body["explain"].startswith("firing while IBM trades above 100")
        assert [n["status"] for n in body["notifications"]] == ["firing"]
        assert quiet.json()["notifications"] == []
        assert recent.status_code == 200
        assert recent.json()["rule_id"] == rule["id"]

    def test_malformed_event_is_422(self, bridge: RunningBridge) -> None:
        rule = {"id": _uid("t"), "kind": "price_above", "symbol": "IBM", "threshold": "1"}
        with bridge.client() as client:
            client.post("/v1/alerts/rules", json=rule)
            response = client.post(f"/v1/alerts/rules/{rule['id']}/test", json={"type": "nope"})
        assert response.status_code == 422


class TestWiring:
    def test_a_quote_fetched_by_anyone_fires_a_rule(
        self, bridge_tcp: RunningBridge, receiver: WebhookReceiver
    ) -> None:
        symbol = f"W{uuid.uuid4().hex[:5].upper()}"
        rule: dict[str, Any] = {
            "id": _uid("wired"),
            "kind": "price_above",
            "symbol": symbol,
            "threshold": "0.01",
            "channels": ["hook"],
        }
        with bridge_tcp.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
            # No wait: the rule's marker precedes the quote's tick on the stream, and every
            # engine switches rules at the marker.
            assert client.get(f"/v1/quotes/{symbol}").status_code == 200
            bodies = receiver.wait_for(rule["id"])
            assert len(bodies) == 1, receiver.received
            assert symbol in str(bodies[0])
            deadline = time.monotonic() + 10
            while client.get("/v1/alerts/outbox").json()["pending"]:
                assert time.monotonic() < deadline
                time.sleep(0.1)
            history = client.get("/v1/alerts/history", params={"rule": rule["id"]}).json()
        assert {"accepted", "delivered"} <= {entry["event"] for entry in history["entries"]}

    def test_a_posted_log_line_fires_a_log_rule(
        self, bridge_tcp: RunningBridge, receiver: WebhookReceiver
    ) -> None:
        marker = uuid.uuid4().hex[:10]
        rule: dict[str, Any] = {
            "id": _uid("logrule"),
            "kind": "log_pattern",
            "pattern": f"Database connection lost {marker}",
            "channels": ["hook"],
        }
        line = (
            f"[21-Nov-2026 10:50:47 UTC] PHP Warning:  Database connection lost {marker} "
            "in /var/www/wp-includes/class-wpdb.php on line 2000"
        )
        with bridge_tcp.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
            time.sleep(1.0)
            assert client.post("/v1/logs", json={"lines": [line]}).status_code == 202
        assert len(receiver.wait_for(rule["id"])) == 1

    def test_several_workers_deliver_each_notification_once(
        self, bridge_workers: RunningBridge, receiver: WebhookReceiver
    ) -> None:
        symbols = [f"M{uuid.uuid4().hex[:5].upper()}" for _ in range(3)]
        rule_ids: list[str] = []
        with bridge_workers.client() as client:
            for symbol in symbols:
                rule: dict[str, Any] = {
                    "id": _uid("once"),
                    "kind": "price_above",
                    "symbol": symbol,
                    "threshold": "0.01",
                    "channels": ["hook"],
                }
                assert client.post("/v1/alerts/rules", json=rule).status_code == 201
                rule_ids.append(rule["id"])
            time.sleep(1.5)
        for symbol in symbols:
            # A fresh connection per quote: the kernel spreads them over both workers.
            with bridge_workers.client() as client:
                assert client.get(f"/v1/quotes/{symbol}").status_code == 200
        for rule_id in rule_ids:
            assert len(receiver.wait_for(rule_id)) >= 1
        time.sleep(2.0)  # room for a duplicate to arrive, if there were one
        assert [len(receiver.bodies_for(rule_id)) for rule_id in rule_ids] == [1, 1, 1]


class TestStreaming:
    def test_symbols_of_price_rules_are_streamed_by_one_worker(
        self,
        bridge_workers: RunningBridge,
        receiver: WebhookReceiver,
        trade_stream: FinnhubWebSocketEmulator,
    ) -> None:
        symbol = f"S{uuid.uuid4().hex[:5].upper()}"
        rule: dict[str, Any] = {
            "id": _uid("streamed"),
            "kind": "price_above",
            "symbol": symbol,
            "threshold": "0.01",
            "channels": ["hook"],
        }
        with bridge_workers.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
        # Nobody asks for a quote: the trade stream alone must fire the rule.
        bodies = receiver.wait_for(rule["id"], timeout=40)
        assert len(bodies) == 1, trade_stream.subscriptions
        assert symbol in trade_stream.subscriptions
        # One worker streams (Finnhub allows one socket per key), not both.
        assert trade_stream.live_connections == 1
