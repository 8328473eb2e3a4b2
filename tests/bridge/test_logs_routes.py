"""``/v1/logs``: 202 at once, analysis in the background, events on the shared stream."""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

import pytest

from statestore import open_store
from tests.bridge.server import raw_http

if TYPE_CHECKING:
    from tests.bridge.server import RunningBridge

PHP_LINES = [
    "[21-Nov-2026 10:50:47 UTC] PHP Warning:  Undefined variable $price in "
    "/var/www/wp-content/plugins/trader/quote.php on line 41",
    "[21-Nov-2026 10:50:48 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function "
    "foo() in /var/www/wp-content/plugins/trader/chart.php:12",
    "Stack trace:",
    "#0 /var/www/wp-includes/class-wp-hook.php(324): render_chart()",
    "#1 {main}",
    "  thrown in /var/www/wp-content/plugins/trader/chart.php on line 12",
]


def stream_events(bridge: RunningBridge, kind: str) -> list[dict[str, Any]]:
    """Events of one type on the bridge's shared stream (read from its own store)."""
    store = open_store(f"sqlite://{bridge.home / 'state'}")
    try:
        entries = store.read("switchyard:events", None, count=10_000)
    finally:
        store.close()
    events = [json.loads(payload) for _, payload in entries]
    return [event for event in events if event.get("type") == kind]


def wait_for_analysis(bridge: RunningBridge, entries: int, timeout: float = 20.0) -> Any:
    """Poll the analysis until it counted at least ``entries`` entries."""
    deadline = time.monotonic() + timeout
    with bridge.client() as client:
        while True:
            report = client.get("/v1/logs/analysis").json()
            if report["entries"] >= entries or time.monotonic() > deadline:
                return report
            time.sleep(0.1)


class TestPostLogs:
    def test_accepted_at_once_then_analysed(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            before = client.get("/v1/logs/analysis").json()["entries"]
            response = client.post(
                "/v1/logs",
                json={
                    "source": "wordpress",
                    "lines": PHP_LINES,
                    "events": [
                        {
                            "level": "error",
                            "message": "Order 1234 failed: gateway timeout",
                            "context": {"order": 1234},
                            "timestamp": "2026-11-21T10:51:00Z",
                        },
                        {"level": "warning", "message": "cache miss", "context": []},
                    ],
                },
            )
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": 8}
        # Six physical lines are two PHP entries (the stack trace folds into its error).
        report = wait_for_analysis(bridge, before + 4)
        assert report["entries"] >= before + 4
        assert report["sources"]["wordpress"] >= 4
        templates = " ".join(stat["template"] for stat in report["top_templates"])
        assert "Undefined variable" in templates

    def test_log_events_reach_the_shared_stream(self, bridge: RunningBridge) -> None:
        marker = f"Payment webhook rejected {time.time_ns()}"
        with bridge.client() as client:
            response = client.post(
                "/v1/logs", json={"events": [{"level": "error", "message": marker}]}
            )
        assert response.status_code == 202
        deadline = time.monotonic() + 20
        found: list[dict[str, Any]] = []
        while not found and time.monotonic() < deadline:
            found = [e for e in stream_events(bridge, "log") if e["message"] == marker]
            time.sleep(0.1)
        assert found, "the log event was not published"
        event = found[0]
        assert event["source"] == "wordpress"
        assert event["level"] == "error"
        assert event["template_id"]
        assert event["timestamp"].endswith("Z")

    def test_empty_batch_is_accepted_as_zero(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post("/v1/logs", json={"source": "cron", "lines": []})
        assert response.status_code == 202
        assert response.json() == {"accepted": 0}

    @pytest.mark.parametrize(
        ("body", "field"),
        [
            pytest.param({"lines": "not a list"}, "body.lines", id="lines-not-list"),
            pytest.param({"lines": [1, 2]}, "body.lines[0]", id="line-not-string"),
            pytest.param({"events": [{"level": "error"}]}, "body.events[0].message", id="no-msg"),
            pytest.param({"source": "bad source!"}, "body.source", id="bad-source"),
            pytest.param({"lines": [], "extra": 1}, "body.extra", id="unknown-field"),
        ],
    )
    def test_invalid_batch_is_422_naming_the_field(
        self, bridge: RunningBridge, body: dict[str, Any], field: str
    ) -> None:
        with bridge.client() as client:
            response = client.post("/v1/logs", json=body)
        assert response.status_code == 422
        assert field in response.json()["error"]["message"]

    def test_malformed_json_is_422(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post(
                "/v1/logs", content=b'{"lines": [', headers={"Content-Type": "application/json"}
            )
        assert response.status_code == 422
        assert response.json()["error"]["code"] == "invalid_request"

    def test_oversized_declared_body_is_413(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post("/v1/logs", content=b"x" * (1024 * 1024 + 1))
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "payload_too_large"

    def test_oversized_chunked_body_is_413(self, bridge: RunningBridge) -> None:
        chunk = b'"' + b"x" * 65_000 + b'",'
        body = b"".join(b"%x\r\n%s\r\n" % (len(chunk), chunk) for _ in range(20))
        request = (
            b"POST /v1/logs HTTP/1.1\r\nHost: bridge\r\n"
            b"Authorization: Bearer " + bridge.token.encode() + b"\r\n"
            b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
            b'7\r\n{"lines\r\n3\r\n":[\r\n' + body + b"0\r\n\r\n"
        )
        answer = raw_http(bridge, request)
        assert answer.startswith(b"HTTP/1.1 413 "), answer[:200]
        assert b'"payload_too_large"' in answer
