"""Walk every path of the served OpenAPI document: each refuses a missing or a wrong token."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from tests.bridge.server import RunningBridge

PUBLIC = {("get", "/v1/health")}


def _operations(bridge: RunningBridge) -> list[tuple[str, str]]:
    with bridge.client() as client:
        response = client.get("/openapi.json")
    assert response.status_code == 200
    document: dict[str, Any] = response.json()
    operations = [
        (method, path)
        for path, item in document["paths"].items()
        for method in item
        if method in {"get", "post", "put", "delete", "patch"}
    ]
    assert len(operations) >= 8
    return operations


def _concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "IBM", path)


class TestEveryPathNeedsTheToken:
    @pytest.mark.parametrize(
        "token",
        [
            pytest.param(None, id="missing"),
            pytest.param("wrong-token-0123456789", id="wrong"),
            pytest.param("PREFIX", id="prefix-of-the-right-one"),
        ],
    )
    def test_refused_without_the_right_token(
        self, bridge: RunningBridge, token: str | None
    ) -> None:
        operations = _operations(bridge)
        if token == "PREFIX":
            token = bridge.token[:-1]
        client = bridge.anonymous() if token is None else bridge.client(token=token)
        refused = []
        with client:
            for method, path in operations:
                response = client.request(
                    method.upper(),
                    _concrete(path),
                    json={} if method in {"post", "put"} else None,
                )
                if (method, path) in PUBLIC:
                    assert response.status_code == 200
                    continue
                assert response.status_code == 401, f"{method.upper()} {path}: {response.text}"
                assert response.json()["error"]["code"] == "unauthorized"
                refused.append(path)
        assert refused

    def test_openapi_document_itself_needs_the_token(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            assert client.get("/openapi.json").status_code == 401

    def test_no_interactive_docs_are_exposed(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            assert client.get("/docs").status_code == 404
            assert client.get("/redoc").status_code == 404
