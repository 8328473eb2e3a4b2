"""Integration over real sockets: the client against the local provider emulators."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from marketdata import (
    MarketData,
    MarketDataSettings,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from marketdata.testing import AlphaVantageEmulator, Fault, FinnhubEmulator, ProviderEmulators

if TYPE_CHECKING:
    from statestore import StateStore

Factory = Callable[..., MarketDataSettings]


@pytest.fixture
def emu() -> Iterator[ProviderEmulators]:
    with ProviderEmulators(websocket=False) as emulators:
        yield emulators


def connect(
    settings_factory: Factory, store: StateStore, emu: ProviderEmulators, **values: Any
) -> MarketData:
    settings = settings_factory(
        alphavantage_url=emu.alphavantage.url, finnhub_url=emu.finnhub.url, **values
    )
    return MarketData(settings, store=store)


class TestFaultSequences:
    def test_slow_answer_times_out_then_fails_over(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators
    ) -> None:
        emu.finnhub.inject(Fault.slow(3.0), times=2)
        # the timeout covers connect to last byte: leave room for a loaded machine's connect
        with connect(settings_factory, store, emu, timeout=0.6, retries=2) as md:
            quote = md.quote("IBM")
        assert quote.provider == "alphavantage"
        # the emulator's handler thread may log the second request a moment after
        deadline = time.monotonic() + 3
        while emu.finnhub.count("quote") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert emu.finnhub.count("quote") == 2

    def test_429_rests_the_key_for_retry_after(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators
    ) -> None:
        emu.finnhub.inject(Fault.rate_limited(retry_after=30))
        with connect(settings_factory, store, emu) as md:
            assert md.quote("AAPL").provider == "alphavantage"
            assert md.quote("MSFT").provider == "alphavantage"  # Finnhub key still resting
        assert emu.finnhub.calls == 1

    def test_429_with_nowhere_to_go_is_rate_limited(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators
    ) -> None:
        emu.finnhub.inject(Fault.rate_limited(retry_after=12))
        md = connect(settings_factory, store, emu, providers="finnhub")
        with md, pytest.raises(RateLimitedError) as info:
            md.quote("AAPL")
        assert 6 < info.value.retry_after <= 12

    @pytest.mark.parametrize(
        "fault",
        [Fault.malformed(), Fault.empty(), Fault.reset(), Fault.http(502), Fault.http(503)],
        ids=["malformed", "empty", "reset", "502", "503"],
    )
    def test_transient_faults_are_retried(
        self,
        settings_factory: Factory,
        store: StateStore,
        emu: ProviderEmulators,
        fault: Fault,
    ) -> None:
        emu.finnhub.inject(fault)
        with connect(settings_factory, store, emu) as md:
            quote = md.quote("AAPL")
        assert quote.provider == "finnhub"
        assert emu.finnhub.calls == 2
        assert emu.alphavantage.calls == 0

    @pytest.mark.parametrize("fault", [Fault.note(), Fault.information()], ids=["note", "info"])
    def test_alpha_vantage_limit_answers_switch_keys(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators, fault: Fault
    ) -> None:
        emu.alphavantage.inject(fault)
        with connect(
            settings_factory,
            store,
            emu,
            providers="alphavantage",
            alphavantage_api_key="AVKEYAAAA1,AVKEYBBBB2",
        ) as md:
            quote = md.quote("MSFT")
        assert quote.provider == "alphavantage"
        assert [c.fault for c in emu.alphavantage.call_log] == [fault.kind, None]

    def test_everything_down_gives_one_typed_error(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators
    ) -> None:
        emu.finnhub.inject(Fault.http(500), times=10)
        emu.alphavantage.inject(Fault.reset(), times=10)
        md = connect(settings_factory, store, emu, retries=2)
        with md, pytest.raises(ProviderUnavailableError) as info:
            md.quote("AAPL")
        assert "HTTP 500" in info.value.reasons["finnhub"]
        assert "connection failed" in info.value.reasons["alphavantage"]

    def test_unknown_symbols(
        self, settings_factory: Factory, store: StateStore, emu: ProviderEmulators
    ) -> None:
        with connect(settings_factory, store, emu) as md:
            with pytest.raises(UnknownSymbolError):
                md.quote("ZZZQ")
            with pytest.raises(UnknownSymbolError):
                md.profile("ZZZQ")

    def test_client_budget_keeps_provider_limits_untouched(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        with AlphaVantageEmulator(per_minute=5, per_day=25) as av:
            settings = settings_factory(
                alphavantage_url=av.url, providers="alphavantage", alphavantage_per_minute=5
            )
            outcomes: list[str] = []
            with MarketData(settings, store=store) as md:
                for n in range(8):
                    try:
                        md.quote(f"SYM{n}")
                        outcomes.append("ok")
                    except RateLimitedError:
                        outcomes.append("limited")
        assert outcomes == ["ok"] * 5 + ["limited"] * 3
        assert av.calls == 5
        assert av.limit_answers == 0


class TestEveryEndpoint:
    @pytest.mark.parametrize("provider", ["finnhub", "alphavantage"])
    def test_history_news_profile_search(
        self,
        settings_factory: Factory,
        store: StateStore,
        emu: ProviderEmulators,
        provider: str,
    ) -> None:
        today = datetime.now(UTC).date()
        with connect(
            settings_factory, store, emu, providers=provider, alphavantage_per_minute=10
        ) as md:
            daily = md.history("IBM", "1d", today - timedelta(days=20), today)
            intraday = md.history("MSFT", "15min")
            news = md.news("IBM", limit=3)
            market = md.news(limit=2)
            profile = md.profile("AAPL")
            matches = md.search("apple")
        assert {daily.provider, intraday.provider, profile.provider} == {provider}
        assert 10 <= len(daily.bars) <= 16
        assert all(b.low <= b.close <= b.high for b in daily.bars)
        assert intraday.bars
        assert [b.timestamp for b in intraday.bars] == sorted(b.timestamp for b in intraday.bars)
        assert len(news) == 3
        assert news[0].published_at <= datetime.now(UTC)
        assert len(market) == 2
        assert profile.name == "Apple Inc"
        assert matches[0].symbol == "AAPL"


class TestEmulatorControl:
    def test_control_endpoints(self) -> None:
        with FinnhubEmulator() as fh:
            base = fh.url.removesuffix("/api/v1")
            queued = httpx.post(
                f"{base}/_emulator/faults", json=[Fault.rate_limited(3).to_json()]
            ).json()
            assert queued == {"queued": 1}
            first = httpx.get(f"{fh.url}/quote?symbol=IBM", headers={"X-Finnhub-Token": "k"})
            assert first.status_code == 429
            assert first.headers["Retry-After"] == "3"
            second = httpx.get(f"{fh.url}/quote", params={"symbol": "IBM", "token": "k"})
            assert second.json()["c"] > 0
            calls = httpx.get(f"{base}/_emulator/calls").json()
            assert calls["calls"] == 2
            assert [c["fault"] for c in calls["log"]] == ["status", None]
            httpx.post(f"{base}/_emulator/reset")
            assert fh.calls == 0

    def test_alpha_vantage_without_key_and_demo(self) -> None:
        with AlphaVantageEmulator() as av:
            missing = httpx.get(f"{av.url}/query", params={"function": "GLOBAL_QUOTE"}).json()
            demo = httpx.get(
                f"{av.url}/query",
                params={"function": "GLOBAL_QUOTE", "symbol": "MSFT", "apikey": "demo"},
            ).json()
        assert "Error Message" in missing
        assert "Information" in demo

    def test_runs_in_a_subprocess(self) -> None:
        with subprocess.Popen(
            [sys.executable, "-m", "marketdata.testing", "--port", "0", "--until-stdin-closes"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        ) as process:
            self._check_subprocess(process)

    @staticmethod
    def _check_subprocess(process: subprocess.Popen[str]) -> None:
        try:
            assert process.stdout is not None
            info = json.loads(process.stdout.readline())
            quote = httpx.get(
                f"{info['finnhub']}/quote", params={"symbol": "IBM", "token": "any"}
            ).json()
            assert quote["c"] > 0
            assert set(info["env"]) == {
                "MARKETDATA_ALPHAVANTAGE_URL",
                "MARKETDATA_FINNHUB_URL",
                "MARKETDATA_FINNHUB_WS_URL",
            }
        finally:
            assert process.stdin is not None
            process.stdin.close()
            assert process.wait(timeout=10) == 0


def test_control_endpoints_answer_under_the_printed_finnhub_url() -> None:
    """The README says ``POST <url>/_emulator/faults`` with the URL the emulator prints."""
    with FinnhubEmulator() as fh:
        queued = httpx.post(f"{fh.url}/_emulator/faults", json=[Fault.http(503).to_json()])
        assert queued.json() == {"queued": 1}
        answer = httpx.get(f"{fh.url}/quote?symbol=IBM", headers={"X-Finnhub-Token": "k"})
        assert answer.status_code == 503
        assert httpx.get(f"{fh.url}/_emulator/calls").json()["calls"] == 1
