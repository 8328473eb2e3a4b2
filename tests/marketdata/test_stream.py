"""Finnhub WebSocket trades against the local WebSocket emulator."""

from __future__ import annotations

import asyncio
import json
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest

from marketdata import (
    AsyncMarketData,
    ConfigurationError,
    MarketData,
    ProviderUnavailableError,
    Tick,
)
from marketdata._stream import batch_ticks, parse_trades
from marketdata.testing import FinnhubWebSocketEmulator

if TYPE_CHECKING:
    from pathlib import Path

    from statestore import StateStore


async def quick_sleep(seconds: float) -> None:
    await asyncio.sleep(min(seconds, 0.01))


def make(settings_factory: Any, store: StateStore, ws: FinnhubWebSocketEmulator, **kw: Any) -> Any:
    return AsyncMarketData(
        settings_factory(finnhub_ws_url=ws.url, **kw), store=store, sleep=quick_sleep
    )


class TestFrames:
    def test_docs_sample_and_null_conditions(self, fixtures_dir: Path) -> None:
        for name in ("finnhub_ws_trade_docs_sample.json", "finnhub_ws_trade_conditions_null.json"):
            frame = json.loads((fixtures_dir / "providers" / name).read_text())
            (trade,) = parse_trades(frame)
            assert trade.symbol == "BINANCE:BTCUSDT"
            assert trade.price == Decimal("7296.89")
            assert trade.volume == Decimal("0.011467")
            assert trade.timestamp.isoformat() == "2019-12-05T06:18:11.134000+00:00"
            assert trade.conditions is None

    def test_batch_becomes_one_tick_per_symbol(self) -> None:
        frame = {
            "type": "trade",
            "data": [
                {"s": "AAPL", "p": 10.5, "t": 1_700_000_000_000, "v": 100, "c": ["1"]},
                {"s": "AAPL", "p": 10.7, "t": 1_700_000_000_500, "v": 50, "c": None},
                {"s": "MSFT", "p": 300, "t": 1_700_000_000_100, "v": 1},
                {"s": "BAD"},
            ],
        }
        ticks = {t.symbol: t for t in batch_ticks(parse_trades(frame))}
        assert ticks["AAPL"].price == Decimal("10.7")
        assert ticks["AAPL"].volume == 150
        assert ticks["AAPL"].source == "trade"
        assert ticks["MSFT"].to_event()["timestamp"] == "2023-11-14T22:13:20.100Z"


class TestStreaming:
    def test_trades_flow_and_become_events(self, settings_factory: Any, store: StateStore) -> None:
        last = store.last_id("switchyard:events")

        async def main() -> list[Any]:
            with FinnhubWebSocketEmulator(trade_interval=0.02) as ws:
                async with make(settings_factory, store, ws) as md:
                    seen: list[Tick] = []
                    md.subscribe(seen.append)
                    stream = md.stream_trades(["aapl", "BINANCE:BTCUSDT"])
                    trades = [await anext(stream) for _ in range(12)]
                    await stream.aclose()
                    assert {t.symbol for t in seen} == {"AAPL", "BINANCE:BTCUSDT"}
                    assert ws.subscriptions == ["AAPL", "BINANCE:BTCUSDT"]
                    return trades

        trades = asyncio.run(main())
        assert {t.symbol for t in trades} == {"AAPL", "BINANCE:BTCUSDT"}
        assert all(t.provider == "finnhub" for t in trades)
        events = [json.loads(p) for _, p in store.read("switchyard:events", last, count=500)]
        assert {e["source"] for e in events} == {"trade"}
        assert {e["symbol"] for e in events} == {"AAPL", "BINANCE:BTCUSDT"}

    def test_reconnects_and_resubscribes(self, settings_factory: Any, store: StateStore) -> None:
        async def main() -> FinnhubWebSocketEmulator:
            with FinnhubWebSocketEmulator(trade_interval=0.02) as ws:
                async with make(settings_factory, store, ws) as md:
                    stream = md.stream_trades(["IBM", "MSFT"])
                    await anext(stream)
                    ws.refuse_next(2)  # the first two reconnects fail with HTTP 503
                    ws.drop_connections()
                    before = ws.trades_sent
                    while ws.connections < 2 or ws.trades_sent <= before + 4:
                        await anext(stream)
                    await stream.aclose()
                return ws

        ws = asyncio.run(main())
        assert ws.connections == 2
        assert ws.refused == 2
        assert ws.subscriptions == ["IBM", "MSFT", "IBM", "MSFT"]

    def test_gives_up_after_max_reconnects(self, settings_factory: Any, store: StateStore) -> None:
        async def main() -> None:
            with FinnhubWebSocketEmulator() as ws:
                ws.refuse_next(10)
                async with make(settings_factory, store, ws) as md:
                    stream = md.stream_trades(["IBM"], max_reconnects=3)
                    with pytest.raises(ProviderUnavailableError):
                        await anext(stream)
                assert ws.refused == 4

        asyncio.run(main())

    def test_refused_token_is_a_configuration_error(
        self, settings_factory: Any, store: StateStore
    ) -> None:
        async def main() -> None:
            with FinnhubWebSocketEmulator(keys={"the-right-key"}) as ws:
                async with make(settings_factory, store, ws) as md:
                    with pytest.raises(ConfigurationError, match="401"):
                        await anext(md.stream_trades(["IBM"]))

        asyncio.run(main())

    def test_too_many_symbols_error_frame_is_survived(
        self, settings_factory: Any, store: StateStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        async def main() -> set[str]:
            with FinnhubWebSocketEmulator(max_symbols=1, trade_interval=0.02) as ws:
                async with make(settings_factory, store, ws) as md:
                    stream = md.stream_trades(["IBM", "MSFT"])
                    symbols = {(await anext(stream)).symbol for _ in range(5)}
                    await stream.aclose()
                    return symbols

        assert asyncio.run(main()) == {"IBM"}
        assert "marketdata stream error frame" in caplog.text

    def test_sync_iterator(self, settings_factory: Any, store: StateStore) -> None:
        with FinnhubWebSocketEmulator(trade_interval=0.02) as ws:
            settings = settings_factory(finnhub_ws_url=ws.url)
            with MarketData(settings, store=store) as md:
                stream = md.stream_trades(["AAPL"])
                trades = [next(stream) for _ in range(3)]
                stream.close()
        assert [t.symbol for t in trades] == ["AAPL"] * 3

    def test_needs_a_finnhub_key(self, settings_factory: Any, store: StateStore) -> None:
        md = AsyncMarketData(settings_factory(finnhub_api_key=None), store=store)
        with pytest.raises(ConfigurationError):
            md.stream_trades(["IBM"])
        asyncio.run(md.aclose())


def test_cli_stream_json(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, settings_factory: Any
) -> None:
    from typer.testing import CliRunner

    from marketdata.cli import app

    with FinnhubWebSocketEmulator(trade_interval=0.02) as ws:
        monkeypatch.setenv("MARKETDATA_FINNHUB_WS_URL", ws.url)
        monkeypatch.setenv("FINNHUB_API_KEY", "FHSTREAMKEY")
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
        monkeypatch.chdir(tmp_path)
        result = CliRunner().invoke(app, ["stream", "AAPL", "--seconds", "0.3", "--json"])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.stdout.splitlines()]
    assert lines
    assert {line["symbol"] for line in lines} == {"AAPL"}


def test_connections_closed_at_once_still_back_off(
    settings_factory: Any, store: StateStore
) -> None:
    async def main() -> int:
        with FinnhubWebSocketEmulator() as ws:
            ws.close_next(10)
            async with make(settings_factory, store, ws) as md:
                with pytest.raises(ProviderUnavailableError):
                    await anext(md.stream_trades(["IBM"], max_reconnects=2))
            return ws.connections

    assert asyncio.run(main()) == 3
