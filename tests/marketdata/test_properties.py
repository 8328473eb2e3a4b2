"""Invariants, checked with hypothesis: coalescing, budgets, symbol spellings."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from marketdata import (
    AsyncMarketData,
    Bar,
    MarketDataError,
    MarketDataSettings,
    Quote,
    normalize_symbol,
)
from marketdata._cache import Entry
from marketdata._symbols import from_provider, market_of, to_provider
from statestore import SQLiteStateStore
from tests.marketdata.mock import ok

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SYMBOLS = st.sampled_from(["IBM", "AAPL", "MSFT", "BRK.B", "VOD.L", "SAP.DE", "7203.T", "SHOP.TO"])


class FakeClock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clocked(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SQLiteStateStore, FakeClock]]:
    clock = FakeClock()
    store = SQLiteStateStore(tmp_path_factory.mktemp("clocked") / "state", clock=clock)
    yield store, clock
    store.close()


def settings_for(tmp: Path, **values: Any) -> MarketDataSettings:
    base: dict[str, Any] = {
        "home": tmp,
        "namespace": f"p{uuid.uuid4().hex[:12]}",
        "alphavantage_api_key": "AVPROPKEY1",
        "finnhub_api_key": "FHPROPKEY1",
        "alphavantage_url": "http://av.test",
        "finnhub_url": "http://fh.test/api/v1",
        "retry_wait": 0.0,
    }
    base.update(values)
    return MarketDataSettings(_env_file=None, **base)


@settings(
    max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(callers=st.integers(1, 40), wanted=st.lists(SYMBOLS, min_size=1, max_size=6))
def test_n_concurrent_callers_cause_one_call_per_datum(
    tmp_path: Path, clocked: tuple[SQLiteStateStore, FakeClock], callers: int, wanted: list[str]
) -> None:
    store, clock = clocked
    calls: list[str] = []

    async def answer(request: httpx.Request) -> httpx.Response:
        calls.append(request.url.params["symbol"])
        await asyncio.sleep(0.01)
        return ok({"c": 10, "d": 0, "dp": 0, "h": 10, "l": 10, "o": 10, "pc": 10, "t": 1})

    async def main() -> None:
        md = AsyncMarketData(
            settings_for(tmp_path),
            store=store,
            transport=httpx.MockTransport(answer),
            clock=clock,
        )
        async with md:
            jobs = [md.quote(wanted[i % len(wanted)]) for i in range(callers)]
            results = await asyncio.gather(*jobs)
        assert len(results) == callers

    asyncio.run(main())
    assert sorted(calls) == sorted({normalize_symbol(s) for s in wanted[:callers]})


@settings(
    max_examples=15, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    schedule=st.lists(
        st.tuples(st.integers(0, 30), st.floats(0, 3, allow_nan=False)), min_size=1, max_size=40
    ),
    per_second=st.integers(1, 4),
    per_minute=st.integers(1, 12),
)
def test_no_schedule_exceeds_a_budget(
    tmp_path: Path,
    clocked: tuple[SQLiteStateStore, FakeClock],
    schedule: list[tuple[int, float]],
    per_second: int,
    per_minute: int,
) -> None:
    store, clock = clocked
    stamps: list[float] = []

    def answer(request: httpx.Request) -> httpx.Response:
        stamps.append(clock.now)
        return ok({"c": 10, "d": 0, "dp": 0, "h": 10, "l": 10, "o": 10, "pc": 10, "t": 1})

    async def main() -> None:
        md = AsyncMarketData(
            settings_for(
                tmp_path,
                providers="finnhub",
                finnhub_per_second=per_second,
                finnhub_per_minute=per_minute,
                ttl_quote=0.5,
                ttl_quote_closed=0.5,
            ),
            store=store,
            transport=httpx.MockTransport(answer),
            clock=clock,
        )
        async with md:
            for symbol_number, gap in schedule:
                clock.now += gap
                # RateLimitedError (or a stale copy) is the expected outcome when spent
                with contextlib.suppress(MarketDataError):
                    await md.quote(f"S{symbol_number}")

    asyncio.run(main())
    for index, start in enumerate(stamps):
        in_second = [t for t in stamps[index:] if t < start + 1.0]
        in_minute = [t for t in stamps[index:] if t < start + 60.0]
        assert len(in_second) <= per_second
        assert len(in_minute) <= per_minute


@settings(max_examples=60)
@given(
    base=st.from_regex(r"[A-Z]{1,5}", fullmatch=True),
    suffix=st.sampled_from(["", ".L", ".TO", ".DE", ".HK", ".SS", ".SZ", ".B", ".A", ".PA"]),
)
def test_symbols_round_trip_through_every_provider(base: str, suffix: str) -> None:
    canonical = normalize_symbol(base + suffix)
    assert normalize_symbol(canonical) == canonical
    for provider in ("alphavantage", "finnhub"):
        assert from_provider(to_provider(canonical, provider), provider) == canonical


@pytest.mark.parametrize(
    ("text", "canonical", "alphavantage"),
    [
        ("brk-b", "BRK.B", "BRK-B"),
        ("BRK/B", "BRK.B", "BRK-B"),
        ("BRK.B", "BRK.B", "BRK-B"),
        ("tsco.lon", "TSCO.L", "TSCO.LON"),
        ("VOD.L", "VOD.L", "VOD.LON"),
        ("shop.trt", "SHOP.TO", "SHOP.TRT"),
        ("300135.SHZ", "300135.SZ", "300135.SHZ"),
        ("6190.HKG", "6190.HK", "6190.HKG"),
        (" ibm ", "IBM", "IBM"),
        ("BINANCE:BTCUSDT", "BINANCE:BTCUSDT", "BINANCE:BTCUSDT"),
    ],
)
def test_known_spellings(text: str, canonical: str, alphavantage: str) -> None:
    assert normalize_symbol(text) == canonical
    assert to_provider(canonical, "alphavantage") == alphavantage
    assert to_provider(canonical, "finnhub") == canonical


PRICES = st.decimals(
    min_value=Decimal("0.0001"), max_value=Decimal("1000000"), places=4, allow_nan=False
)
MOMENTS = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)
)


@settings(max_examples=40)
@given(
    price=PRICES,
    change=st.one_of(st.none(), PRICES),
    volume=st.one_of(st.none(), st.integers(0, 10**12)),
    stamp=MOMENTS,
    stale=st.booleans(),
)
def test_cache_entries_round_trip_exactly(
    price: Decimal, change: Decimal | None, volume: int | None, stamp: datetime, stale: bool
) -> None:
    quote = Quote(
        symbol="IBM",
        price=price,
        change=change,
        volume=volume,
        timestamp=stamp,
        provider="finnhub",
        fetched_at=stamp,
        stale=stale,
    )
    entry = Entry(fresh_until=1.5, provider="finnhub", result=quote)
    decoded = Entry.decode("quote", entry.encode("quote"))
    assert decoded == entry
    assert decoded is not None
    assert isinstance(decoded.result, Quote)
    assert decoded.result.price == price
    assert str(decoded.result.price) == str(price)  # exact digits, not a float


@settings(max_examples=40)
@given(offset_hours=st.integers(-14, 14), stamp=MOMENTS)
def test_models_store_utc(offset_hours: int, stamp: datetime) -> None:
    local = stamp.astimezone(timezone(timedelta(hours=offset_hours)))
    one = Decimal(1)
    bar = Bar(timestamp=local, open=one, high=one, low=one, close=one)
    assert bar.timestamp.utcoffset() == timedelta(0)
    assert bar.timestamp == stamp


@pytest.mark.parametrize(
    ("symbol", "market"),
    [
        ("IBM", "US"),
        ("BRK.B", "US"),
        ("VOD.L", "L"),
        ("SHOP.TO", "TO"),
        ("BINANCE:BTCUSDT", "BINANCE"),
        (None, "*"),
    ],
)
def test_market_of(symbol: str | None, market: str) -> None:
    assert market_of(symbol) == market
