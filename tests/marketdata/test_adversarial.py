"""Provider answers the shipped fault list does not cover, each found breaking a release.

Every test scripts a wrong-shaped or surprising HTTP-200 answer and checks the contract:
bounded retries, failover, nothing unusable cached or published, one typed error.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
import pytest

from marketdata import (
    AsyncMarketData,
    History,
    ProviderUnavailableError,
    Quote,
    Tick,
    UnknownSymbolError,
)
from tests.marketdata.mock import AV_QUOTE, FH_QUOTE, Router, ok

if TYPE_CHECKING:
    from marketdata._providers import RawResponse
    from statestore import StateStore

Factory = Callable[..., Any]

PRE_MARKET = {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 160.07,
              "t": 1645736402}  # fmt: skip


def client(
    settings_factory: Factory, store: StateStore, router: Router, **kw: Any
) -> AsyncMarketData:
    return AsyncMarketData(settings_factory(**kw), store=store, transport=router.transport())


def candles(**columns: Any) -> dict[str, Any]:
    body: dict[str, Any] = {"s": "ok", "t": [1704205800], "o": [1], "h": [2], "l": [0.5],
                            "c": [1.5], "v": [100]}  # fmt: skip
    body.update(columns)
    return body


class TestFinnhubQuote:
    def test_pre_market_zero_price_fails_over_and_is_neither_cached_nor_published(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", ok(PRE_MARKET), ok(PRE_MARKET))
        ticks: list[Tick] = []
        now = [1_700_000_000.0]

        async def main() -> list[Quote]:
            settings = settings_factory()
            async with AsyncMarketData(
                settings, store=store, transport=router.transport(), clock=lambda: now[0]
            ) as md:
                md.subscribe(ticks.append)
                first = await md.quote("IBM")
                now[0] += 100_000  # past any freshness window
                return [first, await md.quote("IBM")]

        quotes = asyncio.run(main())
        assert [q.provider for q in quotes] == ["alphavantage", "alphavantage"]
        assert all(q.price > 0 for q in quotes)
        assert router.calls["finnhub"] == 2  # asked again: the zero answer was not cached
        assert len(ticks) == 2
        assert all(t.price > 0 for t in ticks)

    def test_pre_market_zero_price_alone_is_no_unknown_symbol(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", ok(PRE_MARKET))

        async def main() -> Quote:
            async with client(settings_factory, store, router, providers="finnhub") as md:
                return await md.quote("IBM")

        with pytest.raises(ProviderUnavailableError, match="no current price"):
            asyncio.run(main())
        assert router.calls["finnhub"] == 1  # not retried: retrying cannot help

    def test_missing_timestamp_is_malformed_not_unknown(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        body = {k: v for k, v in FH_QUOTE.items() if k != "t"}
        router.script("finnhub", *(ok(body) for _ in range(3)))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=3) as md:
                return await md.quote("IBM")

        quote = asyncio.run(main())
        assert quote.provider == "alphavantage"
        assert router.calls == {"finnhub": 3, "alphavantage": 1}

    @pytest.mark.parametrize(
        ("t", "expected"),
        [
            pytest.param(1645736402, datetime(2022, 2, 24, 21, 0, 2, tzinfo=UTC), id="seconds"),
            pytest.param(1645736402000, datetime(2022, 2, 24, 21, 0, 2, tzinfo=UTC), id="millis"),
        ],
    )
    def test_timestamp_in_seconds_or_milliseconds(
        self, settings_factory: Factory, store: StateStore, t: int, expected: datetime
    ) -> None:
        router = Router()
        router.script("finnhub", ok({**FH_QUOTE, "t": t}))

        async def main() -> Quote:
            async with client(settings_factory, store, router) as md:
                return await md.quote("IBM")

        assert asyncio.run(main()).timestamp == expected

    @pytest.mark.parametrize("t", [-5, True, "soon", 10**30], ids=["negative", "bool", "text",
                                                                  "absurd"])  # fmt: skip
    def test_impossible_timestamps_are_malformed(
        self, settings_factory: Factory, store: StateStore, t: Any
    ) -> None:
        router = Router()
        router.script("finnhub", *(ok({**FH_QUOTE, "t": t}) for _ in range(2)))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=2) as md:
                return await md.quote("IBM")

        assert asyncio.run(main()).provider == "alphavantage"
        assert router.calls == {"finnhub": 2, "alphavantage": 1}


class TestFinnhubErrorAnswer:
    @pytest.mark.parametrize("kind", ["quote", "profile"])
    def test_http_200_error_fails_over_at_once_and_is_not_unknown(
        self, settings_factory: Factory, store: StateStore, kind: str
    ) -> None:
        router = Router()
        router.script("finnhub", ok({"error": "You don't have access to this resource."}))
        overview = {"Symbol": "IBM", "Name": "International Business Machines",
                    "Exchange": "NYSE", "Currency": "USD", "Country": "USA"}  # fmt: skip
        router.script("alphavantage", ok(AV_QUOTE if kind == "quote" else overview))

        async def main() -> Any:
            async with client(settings_factory, store, router, retries=3) as md:
                return await (md.quote("IBM") if kind == "quote" else md.profile("IBM"))

        assert asyncio.run(main()).provider == "alphavantage"
        assert router.calls == {"finnhub": 1, "alphavantage": 1}

    def test_error_wording_is_not_echoed(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", ok({"error": "token FHTESTKEY1 is <b>banned</b>"}))

        async def main() -> Quote:
            async with client(settings_factory, store, router, providers="finnhub") as md:
                return await md.quote("IBM")

        with pytest.raises(ProviderUnavailableError) as caught:
            asyncio.run(main())
        assert "FHTESTKEY1" not in str(caught.value)
        assert "banned" not in str(caught.value)


class TestNumbers:
    @pytest.mark.parametrize(
        "volume",
        [pytest.param(["abc"], id="text"), pytest.param([1e300 * 1e10], id="inf"),
         pytest.param([-5], id="negative"), pytest.param(["1e999999"], id="exponent")],
    )  # fmt: skip
    def test_bad_candle_volume_is_a_typed_error(
        self, settings_factory: Factory, store: StateStore, volume: list[Any]
    ) -> None:
        router = Router()
        body = json.dumps(candles(v=volume), allow_nan=True).encode()
        router.script("finnhub", *(httpx.Response(200, content=body) for _ in range(2)))

        async def main() -> History:
            async with client(settings_factory, store, router, providers="finnhub",
                              retries=2) as md:  # fmt: skip
                return await md.history("IBM", "1d", period="5d")

        with pytest.raises(ProviderUnavailableError):
            asyncio.run(main())

    @pytest.mark.parametrize("price", ["-3.10", "0.0000", "1e999999999"])
    def test_alpha_vantage_impossible_price_fails_over(
        self, settings_factory: Factory, store: StateStore, price: str
    ) -> None:
        router = Router()
        body = {"Global Quote": {**AV_QUOTE["Global Quote"], "05. price": price}}
        router.script("alphavantage", *(ok(body) for _ in range(2)))
        router.script("finnhub", httpx.Response(503))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=2,
                              providers="alphavantage,finnhub") as md:  # fmt: skip
                return await md.quote("IBM")

        quote = asyncio.run(main())
        assert quote.provider == "finnhub"
        assert router.calls == {"alphavantage": 2, "finnhub": 2}


class _SloppyProvider:
    """A plugged-in provider whose parser trips over an answer."""

    name = "sloppy"
    base_url = "http://fh.test/api/v1"
    limits: list[tuple[int, float]] = [(100, 1.0)]  # noqa: RUF012

    def supports(self, query: Any, key: Any) -> bool:
        return True

    def build(self, query: Any, key: Any, now: datetime) -> Any:
        from marketdata._providers import Request

        return Request("/quote", {"symbol": query.symbol}, {}, "quote")

    def parse(self, query: Any, response: RawResponse, fetched_at: datetime) -> Any:
        return int(json.loads(response.body)["c"].split()[0])  # AttributeError on a float


def test_a_parser_slip_is_a_malformed_answer_not_an_escape(
    settings_factory: Factory, store: StateStore
) -> None:
    from pydantic import SecretStr

    from marketdata._keys import ApiKey

    router = Router()

    async def main() -> Quote:
        async with AsyncMarketData(
            settings_factory(retries=2),
            store=store,
            transport=router.transport(),
            providers=[_SloppyProvider()],
            keys={"sloppy": [ApiKey("sloppy", SecretStr("SLOPPYKEY1"))]},
        ) as md:
            return await md.quote("IBM")

    with pytest.raises(ProviderUnavailableError, match="unparseable answer"):
        asyncio.run(main())
    assert router.calls["finnhub"] == 2  # retried like any malformed body, then given up


def test_unknown_symbol_still_recognised(settings_factory: Factory, store: StateStore) -> None:
    router = Router()
    router.script("finnhub", ok({"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0,
                                 "pc": 0, "t": 0}))  # fmt: skip
    router.script("alphavantage", ok({"Global Quote": {}}))

    async def main() -> Quote:
        async with client(settings_factory, store, router) as md:
            return await md.quote("ZZZZ")

    with pytest.raises(UnknownSymbolError):
        asyncio.run(main())


class TestSlowAndLargeAnswers:
    def test_a_server_dripping_bytes_is_cut_at_the_timeout(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        """httpx's timeout bounds each read; the whole exchange must be bounded too."""

        async def drip(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            await reader.readuntil(b"\r\n\r\n")
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n")
            try:
                for _ in range(100):
                    writer.write(b" ")
                    await writer.drain()
                    await asyncio.sleep(0.05)
            except (ConnectionError, asyncio.CancelledError):
                pass
            finally:
                writer.close()

        async def main() -> float:
            server = await asyncio.start_server(drip, "127.0.0.1", 0)
            port = server.sockets[0].getsockname()[1]
            settings = settings_factory(
                finnhub_url=f"http://127.0.0.1:{port}/api/v1",
                providers="finnhub",
                timeout=0.3,
                retries=2,
            )
            loop = asyncio.get_running_loop()
            started = loop.time()
            try:
                async with AsyncMarketData(settings, store=store) as md:
                    with pytest.raises(ProviderUnavailableError, match="timeout"):
                        await md.quote("IBM")
            finally:
                server.close()
            return loop.time() - started

        # two attempts of 0.3 s each; the server would drip for 5 s
        assert asyncio.run(main()) < 3.0

    def test_an_oversized_answer_is_refused_without_retry(
        self, settings_factory: Factory, store: StateStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from marketdata import _core

        monkeypatch.setattr(_core, "MAX_BODY", 1000)
        router = Router()
        router.script("finnhub", httpx.Response(200, content=b"[" + b" " * 5000 + b"]"))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=3) as md:
                return await md.quote("IBM")

        assert asyncio.run(main()).provider == "alphavantage"
        assert router.calls == {"finnhub": 1, "alphavantage": 1}


class TestWebSocket:
    @pytest.mark.parametrize(
        "frame",
        [
            pytest.param({"type": "trade", "data": 5}, id="data-not-a-list"),
            pytest.param({"type": "trade", "data": "AAPL"}, id="data-a-string"),
            pytest.param(
                {"type": "trade", "data": [{"s": "AAPL", "p": "NaN", "t": 1, "v": 1}]}, id="nan"
            ),
            pytest.param(
                {"type": "trade", "data": [{"s": "AAPL", "p": "-1", "t": 1, "v": 1}]},
                id="negative-price",
            ),
            pytest.param(
                {"type": "trade", "data": [{"s": "AAPL", "p": "1", "t": 1, "v": "Infinity"}]},
                id="infinite-volume",
            ),
        ],
    )
    def test_impossible_frames_give_no_trades(self, frame: dict[str, Any]) -> None:
        from marketdata._stream import parse_trades

        assert parse_trades(frame) == []

    def test_a_server_sending_garbage_then_closing_backs_off_and_gives_up(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        from websockets.asyncio.server import ServerConnection, serve

        connections: list[int] = []

        async def garbage(websocket: ServerConnection) -> None:
            connections.append(1)
            await websocket.recv()  # the subscription
            await websocket.send("<html>not json</html>")
            await websocket.send(json.dumps({"type": "trade", "data": 5}))
            await websocket.close(code=1011, reason="internal error")

        async def quick_sleep(seconds: float) -> None:
            await asyncio.sleep(min(seconds, 0.01))

        async def main() -> None:
            async with serve(garbage, "127.0.0.1", 0) as server:
                port = server.sockets[0].getsockname()[1]
                settings = settings_factory(finnhub_ws_url=f"ws://127.0.0.1:{port}")
                async with AsyncMarketData(settings, store=store, sleep=quick_sleep) as md:
                    async for _ in md.stream_trades(["AAPL"], max_reconnects=2):
                        pytest.fail("no trade can come from garbage")

        with pytest.raises(ProviderUnavailableError):
            asyncio.run(asyncio.wait_for(main(), timeout=10))
        assert len(connections) == 3  # the first connection and two reconnects


@pytest.mark.parametrize(
    "text", ["IBM.", ".IBM", "A..B", "A:", "BRK-", "\u0131bm", "\uff29\uff22\uff2d"]
)
def test_symbols_with_empty_parts_or_non_ascii_are_refused_before_any_call(
    settings_factory: Factory, store: StateStore, text: str
) -> None:
    from marketdata import InvalidRequestError

    router = Router()

    async def main() -> Quote:
        async with client(settings_factory, store, router) as md:
            return await md.quote(text)

    with pytest.raises(InvalidRequestError, match="not a symbol"):
        asyncio.run(main())
    assert not router.calls


def test_a_burst_stays_within_the_providers_window_as_the_provider_counts_it(
    settings_factory: Factory, store: StateStore
) -> None:
    """The budget is counted when a call is taken, the provider counts it on arrival.

    The first calls of a burst used to take their budget before the HTTP client (and its SSL
    context) was built, so they arrived late and the next second's calls landed inside the
    provider's window: Finnhub answered 429 and the key rested for a minute.
    """
    from marketdata.testing import ProviderEmulators

    with ProviderEmulators(websocket=False, latency=0.01) as emu:
        emu.finnhub.per_second = 4
        settings = settings_factory(
            finnhub_url=emu.finnhub.url,
            providers="finnhub",
            finnhub_per_second=4,
            max_wait=5.0,
        )

        async def main() -> list[Quote]:
            async with AsyncMarketData(settings, store=store) as md:
                return await asyncio.gather(*(md.quote(f"Q{i:02d}") for i in range(10)))

        quotes = asyncio.run(main())
        arrivals = sorted(call.at for call in emu.finnhub.call_log)
    assert len(quotes) == 10
    assert len(arrivals) == 10  # no call was answered 429 and repeated
    busiest = max(sum(1 for u in arrivals if t <= u < t + 1.0) for t in arrivals)
    assert busiest <= 4


@pytest.mark.parametrize(
    "retry_after", ["0", "Sun, 06 Nov 1994 08:49:37 GMT"], ids=["zero", "date-in-the-past"]
)
def test_a_429_asking_for_no_wait_rests_the_key_a_second(
    settings_factory: Factory, store: StateStore, retry_after: str
) -> None:
    router = Router()
    router.defaults["finnhub"] = lambda request: httpx.Response(
        429, headers={"Retry-After": retry_after}
    )

    async def main() -> Quote:
        async with client(settings_factory, store, router, providers="finnhub",
                          max_wait=1.5) as md:  # fmt: skip
            return await md.quote("IBM")

    from marketdata import RateLimitedError

    with pytest.raises(RateLimitedError) as caught:
        asyncio.run(main())
    assert caught.value.retry_after >= 0.5
    assert router.calls["finnhub"] == 2  # the first call, one more after a one-second rest


@pytest.mark.parametrize("symbols", ["IBM", "IBM, MSFT", "IBM MSFT"])
def test_quotes_of_one_string_reads_symbols_not_letters(
    settings_factory: Factory, store: StateStore, symbols: str
) -> None:
    from marketdata import MarketData

    router = Router()
    with MarketData(settings_factory(), store=store, transport=router.transport()) as md:
        batch = md.quotes(symbols)
    expected = {"IBM"} if symbols == "IBM" else {"IBM", "MSFT"}
    assert set(batch.quotes) == expected
    assert not batch.errors
    assert router.calls["finnhub"] == len(expected)
