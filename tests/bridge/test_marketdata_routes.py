"""Market-data routes over real HTTP, with the provider emulators behind the bridge."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from bridge._routes.history import range_start
from marketdata.testing import Fault, ProviderEmulators

if TYPE_CHECKING:
    from tests.bridge.server import RunningBridge


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message"}
    return error


class TestQuote:
    def test_one_quote(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes/IBM")
        assert response.status_code == 200, response.text
        quote = response.json()
        assert quote["symbol"] == "IBM"
        assert isinstance(quote["price"], str)
        assert Decimal(quote["price"]) > 0
        assert quote["stale"] is False
        assert quote["provider"] in {"alphavantage", "finnhub"}

    def test_symbol_is_normalised(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes/brk-b")
        assert response.status_code == 200, response.text
        assert response.json()["symbol"] == "BRK.B"

    def test_second_call_is_served_from_cache(
        self, bridge: RunningBridge, emulators: ProviderEmulators
    ) -> None:
        with bridge.client() as client:
            client.get("/v1/quotes/CACHEME")
            before = emulators.alphavantage.calls + emulators.finnhub.calls
            again = client.get("/v1/quotes/CACHEME")
        assert again.status_code == 200
        assert emulators.alphavantage.calls + emulators.finnhub.calls == before

    def test_unknown_symbol_is_404(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes/ZZZNOPE")
        assert response.status_code == 404
        assert _error(response.json())["code"] == "unknown_symbol"

    @pytest.mark.parametrize("symbol", ["%20IBM", "I%20BM", "-IBM", "A" * 40])
    def test_malformed_symbol_is_422_naming_the_field(
        self, bridge: RunningBridge, symbol: str
    ) -> None:
        with bridge.client() as client:
            response = client.get(f"/v1/quotes/{symbol}")
        assert response.status_code == 422
        error = _error(response.json())
        assert error["code"] == "invalid_request"
        assert "symbol" in error["message"]


class TestQuotes:
    def test_several_with_per_symbol_errors(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes", params={"symbols": "IBM, MSFT,ZZZBAD"})
        assert response.status_code == 200, response.text
        body = response.json()
        assert sorted(q["symbol"] for q in body["quotes"]) == ["IBM", "MSFT"]
        assert body["errors"]["ZZZBAD"]["code"] == "unknown_symbol"

    def test_missing_symbols_is_422(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes")
        assert response.status_code == 422
        assert "query.symbols" in _error(response.json())["message"]

    def test_only_commas_is_422(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/quotes", params={"symbols": ",,"})
        assert response.status_code == 422

    def test_too_many_is_422(self, bridge: RunningBridge) -> None:
        symbols = ",".join(f"S{n}" for n in range(51))
        with bridge.client() as client:
            response = client.get("/v1/quotes", params={"symbols": symbols})
        assert response.status_code == 422
        assert "at most 50" in _error(response.json())["message"]


class TestHistory:
    def test_daily_bars_in_a_window(self, bridge: RunningBridge) -> None:
        params = {"interval": "1d", "start": "2026-10-01", "end": "2026-10-31"}
        with bridge.client() as client:
            response = client.get("/v1/history/IBM", params=params)
        assert response.status_code == 200, response.text
        body = response.json()
        assert body["symbol"] == "IBM"
        assert body["interval"] == "1d"
        stamps = [bar["timestamp"] for bar in body["bars"]]
        assert stamps == sorted(stamps)
        assert all("2026-10-01" <= stamp[:10] <= "2026-10-31" for stamp in stamps)

    def test_bad_interval_is_422_naming_it(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/history/IBM", params={"interval": "2d"})
        assert response.status_code == 422
        assert "query.interval" in _error(response.json())["message"]

    def test_start_after_end_is_422(self, bridge: RunningBridge) -> None:
        params = {"start": "2026-02-01", "end": "2026-01-01"}
        with bridge.client() as client:
            response = client.get("/v1/history/IBM", params=params)
        assert response.status_code == 422

    @pytest.mark.parametrize("start", ["2026-13-45", "0", "1969-12-31"])
    def test_bad_date_is_422(self, bridge: RunningBridge, start: str) -> None:
        with bridge.client() as client:
            response = client.get("/v1/history/IBM", params={"start": start})
        assert response.status_code == 422
        assert "query.start" in _error(response.json())["message"]

    @pytest.mark.parametrize(
        ("range_", "expected"),
        [("1mo", dt.date(2026, 5, 31)), ("1y", dt.date(2025, 6, 30)), ("max", None)],
    )
    def test_range_counts_back_from_end(self, range_: str, expected: dt.date | None) -> None:
        assert range_start(range_, dt.date(2026, 7, 1), dt.date(2030, 1, 1)) == expected


class TestNewsSearchProfile:
    def test_news_for_a_symbol(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/news", params={"symbol": "IBM", "limit": 3})
        assert response.status_code == 200, response.text
        items = response.json()["items"]
        assert 0 < len(items) <= 3
        assert all("headline" in item for item in items)

    def test_news_limit_is_bounded(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/news", params={"limit": 1000})
        assert response.status_code == 422

    def test_search(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/search", params={"q": "international"})
        assert response.status_code == 200, response.text
        assert any(match["symbol"] == "IBM" for match in response.json()["matches"])

    def test_profile(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.get("/v1/profile/IBM")
        assert response.status_code == 200, response.text
        assert response.json()["name"]


class TestUpstreamFailures:
    def test_provider_down_without_cache_is_503(
        self, bridge_tcp: RunningBridge, emulators: ProviderEmulators
    ) -> None:
        emulators.alphavantage.inject(*[Fault.http(503)] * 20)
        emulators.finnhub.inject(*[Fault.http(503)] * 20)
        try:
            with bridge_tcp.client(timeout=60) as client:
                response = client.get("/v1/profile/DOWNCO")
        finally:
            emulators.alphavantage.reset()
            emulators.finnhub.reset()
        assert response.status_code == 503, response.text
        error = _error(response.json())
        assert error["code"] == "provider_unavailable"
        assert "fh-test-key" not in response.text
        assert "av-test-key" not in response.text
