"""Unexpected failures: a 500 in the one error shape, with the request id, never a traceback."""

from __future__ import annotations

from typing import TYPE_CHECKING

import httpx
import pytest
from pydantic import SecretStr

from bridge import Settings, create_app

if TYPE_CHECKING:
    from pathlib import Path

TOKEN = "unit-token-0123456789abcdef"


@pytest.fixture
def client(tmp_path: Path) -> httpx.AsyncClient:
    app = create_app(Settings(home=tmp_path, token=SecretStr(TOKEN)))

    @app.get("/v1/boom")
    async def boom() -> None:
        raise RuntimeError("password=hunter2 leaked in a bug")

    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    return httpx.AsyncClient(
        transport=transport,
        base_url="http://bridge",
        headers={"Authorization": f"Bearer {TOKEN}"},
    )


@pytest.mark.anyio
async def test_unexpected_exception_is_a_clean_500(client: httpx.AsyncClient) -> None:
    async with client:
        response = await client.get("/v1/boom", headers={"X-Request-ID": "rid-500"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "rid-500"
    assert response.json() == {
        "error": {"code": "internal", "message": "internal error (request id rid-500)"}
    }
    assert "hunter2" not in response.text
    assert "Traceback" not in response.text


@pytest.mark.anyio
async def test_token_is_checked_before_the_route_runs(client: httpx.AsyncClient) -> None:
    async with client:
        response = await client.get("/v1/boom", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
