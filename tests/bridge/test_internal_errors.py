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


class _FakeMarketData:
    """Stands in for the worker's client on the fast quote path."""

    def __init__(self, exc: BaseException | None) -> None:
        self.exc = exc
        self.asked: list[str] = []

    async def quote(self, symbol: str) -> None:
        self.asked.append(symbol)
        if self.exc is not None:
            raise self.exc


class _FakeServices:
    def __init__(self, marketdata: _FakeMarketData) -> None:
        self.marketdata = marketdata


def _fast_client(tmp_path: Path, exc: BaseException) -> tuple[httpx.AsyncClient, _FakeMarketData]:
    app = create_app(Settings(home=tmp_path, token=SecretStr(TOKEN)))
    fake = _FakeMarketData(exc)
    app.state.services = _FakeServices(fake)  # no lifespan: nothing else is touched
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    client = httpx.AsyncClient(
        transport=transport, base_url="http://bridge", headers={"Authorization": f"Bearer {TOKEN}"}
    )
    return client, fake


@pytest.mark.anyio
async def test_fast_quote_path_maps_package_errors(tmp_path: Path) -> None:
    from marketdata import UnknownSymbolError

    client, fake = _fast_client(tmp_path, UnknownSymbolError("ZZZ"))
    async with client:
        response = await client.get("/v1/quotes/ZZZ", headers={"X-Request-ID": "rid-fast"})
    assert fake.asked == ["ZZZ"]
    assert response.status_code == 404
    assert response.headers["x-request-id"] == "rid-fast"
    assert response.json()["error"]["code"] == "unknown_symbol"


@pytest.mark.anyio
async def test_fast_quote_path_unexpected_error_is_a_clean_500(tmp_path: Path) -> None:
    client, _ = _fast_client(tmp_path, RuntimeError("api_key=hunter2 in a bug"))
    async with client:
        response = await client.get("/v1/quotes/IBM", headers={"X-Request-ID": "rid-x"})
    assert response.status_code == 500
    assert response.json() == {
        "error": {"code": "internal", "message": "internal error (request id rid-x)"}
    }
    assert "hunter2" not in response.text


@pytest.mark.anyio
@pytest.mark.parametrize("path", ["/v1/quotes/A/B", "/v1/quotes/%C3%A9", "/v1/quotes/" + "A" * 33])
async def test_symbols_the_fast_path_refuses_go_through_routing(tmp_path: Path, path: str) -> None:
    client, fake = _fast_client(tmp_path, RuntimeError("must not be asked"))
    async with client:
        response = await client.get(path)
    assert fake.asked == []
    assert response.status_code in (404, 422)
    assert set(response.json()["error"]) == {"code", "message"}


@pytest.mark.anyio
async def test_fast_quote_path_still_needs_the_token(tmp_path: Path) -> None:
    client, fake = _fast_client(tmp_path, RuntimeError("must not be asked"))
    async with client:
        response = await client.get("/v1/quotes/IBM", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert fake.asked == []
