"""The framework over real HTTP (TCP and unix socket): auth, error shape, request ids, limits."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    import httpx

    from tests.bridge.server import RunningBridge


def _error(response: httpx.Response) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    error: dict[str, Any] = body["error"]
    return error


class TestHealth:
    def test_answers_without_a_token(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.get("/v1/health")
        assert response.status_code == 200
        body = response.json()
        assert body["status"] in {"ok", "degraded"}
        assert {"name": "state_store", "status": "ok"}.items() <= next(
            c for c in body["checks"] if c["name"] == "state_store"
        ).items()


class TestAuth:
    @pytest.mark.parametrize("path", ["/metrics", "/openapi.json"])
    def test_missing_token_is_401_json(self, bridge: RunningBridge, path: str) -> None:
        with bridge.anonymous() as client:
            response = client.get(path)
        assert response.status_code == 401
        assert response.headers["www-authenticate"] == "Bearer"
        assert _error(response) == {"code": "unauthorized", "message": "missing bearer token"}

    def test_wrong_token_is_401(self, bridge: RunningBridge) -> None:
        with bridge.client(token=bridge.token + "x") as client:
            response = client.get("/metrics")
        assert response.status_code == 401
        assert _error(response)["code"] == "unauthorized"

    @pytest.mark.parametrize(
        "header",
        [
            pytest.param("Basic dXNlcjpwYXNz", id="basic-scheme"),
            pytest.param("Bearer", id="empty-bearer"),
            pytest.param("bearer x", id="lowercase-wrong"),
        ],
    )
    def test_malformed_authorization_is_401(self, bridge: RunningBridge, header: str) -> None:
        with bridge.anonymous() as client:
            response = client.get("/metrics", headers={"Authorization": header})
        assert response.status_code == 401

    def test_right_token_passes(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/metrics")
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain")


class TestErrorShape:
    def test_unknown_path_is_404_json(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/nowhere")
        assert response.status_code == 404
        assert _error(response)["code"] == "not_found"

    def test_wrong_method_is_405_json(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.delete("/v1/health")
        assert response.status_code == 405
        assert _error(response)["code"] == "invalid_request"


class TestRequestId:
    def test_incoming_id_is_echoed(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.get("/v1/health", headers={"X-Request-ID": "wp-abc.123"})
        assert response.headers["x-request-id"] == "wp-abc.123"

    def test_missing_id_is_generated(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            first = client.get("/v1/health").headers["x-request-id"]
            second = client.get("/v1/health").headers["x-request-id"]
        assert re.fullmatch(r"[0-9a-f]{32}", first)
        assert first != second

    def test_unsafe_id_is_cleaned(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.get("/v1/health", headers={"X-Request-ID": "a b<script>" + "z" * 300})
        echoed = response.headers["x-request-id"]
        assert re.fullmatch(r"[A-Za-z0-9._:\-]{1,128}", echoed)

    def test_id_is_on_error_answers_too(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.get("/metrics", headers={"X-Request-ID": "req-401"})
        assert response.status_code == 401
        assert response.headers["x-request-id"] == "req-401"


class TestBodyLimits:
    def test_declared_oversized_body_is_413(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post("/v1/logs", content=b"x" * (1024 * 1024 + 1))
        assert response.status_code == 413
        assert _error(response)["code"] == "payload_too_large"
