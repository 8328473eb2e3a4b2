"""The fetch engine on ``httpx.MockTransport``: cache, failover, faults, limits, events."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from pydantic import SecretStr

from marketdata import (
    AsyncMarketData,
    InvalidRequestError,
    MarketData,
    MarketDataError,
    ProviderUnavailableError,
    Quote,
    RateLimitedError,
    Tick,
    UnknownSymbolError,
)
from marketdata._keys import ApiKey
from marketdata._providers import Query, RawResponse, Request
from statestore import open_store
from tests.marketdata.mock import AV_INFO, AV_NOTE, AV_QUOTE, FH_ZERO, Router, ok

if TYPE_CHECKING:
    from pathlib import Path

    from statestore import StateStore

Factory = Callable[..., Any]


def client(
    settings_factory: Factory,
    store: StateStore,
    router: Router,
    clock: Callable[[], float] | None = None,
    **overrides: Any,
) -> AsyncMarketData:
    kwargs: dict[str, Any] = {"store": store, "transport": router.async_transport()}
    if clock is not None:
        kwargs["clock"] = clock
    return AsyncMarketData(settings_factory(**overrides), **kwargs)


def run(coro: Any) -> Any:
    return asyncio.run(coro)


class TestCache:
    def test_second_call_is_served_from_l1(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()

        async def main() -> tuple[Quote, Quote]:
            async with client(settings_factory, store, router) as md:
                return await md.quote("AAPL"), await md.quote("aapl")

        first, second = run(main())
        assert first == second
        assert first.provider == "finnhub"
        assert router.calls["finnhub"] == 1

    def test_another_client_reads_l2(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        settings = settings_factory()

        async def main() -> dict[str, Any]:
            async with AsyncMarketData(
                settings, store=store, transport=router.async_transport()
            ) as a:
                await a.quote("AAPL")
            async with AsyncMarketData(
                settings, store=store, transport=router.async_transport()
            ) as b:
                quote = await b.quote("AAPL")
                assert quote.price > 0
                return await b.stats()

        stats = run(main())
        assert router.calls["finnhub"] == 1
        assert stats["process"]["hits_l2"] == 1

    def test_expired_entry_is_refetched(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        now = [1_700_000_000.0]

        async def main() -> None:
            async with client(settings_factory, store, router, clock=lambda: now[0]) as md:
                await md.quote("AAPL")
                now[0] += 10_000
                await md.quote("AAPL")

        run(main())
        assert router.calls["finnhub"] == 2


class TestFailover:
    def test_5xx_retried_then_next_provider(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", *(httpx.Response(503) for _ in range(3)))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=3) as md:
                return await md.quote("IBM")

        quote = run(main())
        assert quote.provider == "alphavantage"
        assert router.calls == {"finnhub": 3, "alphavantage": 1}

    def test_retry_succeeds_on_same_provider(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", httpx.Response(502), httpx.ReadTimeout("slow"))

        async def main() -> Quote:
            async with client(settings_factory, store, router, retries=3) as md:
                return await md.quote("AAPL")

        assert run(main()).provider == "finnhub"
        assert router.calls == {"finnhub": 3}

    def test_premium_403_fails_over_and_rests_the_key(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("finnhub", httpx.Response(403, json={"error": "no access"}))

        async def main() -> None:
            async with client(settings_factory, store, router) as md:
                assert (await md.quote("VOD.L")).provider == "alphavantage"
                assert (await md.quote("TSCO.L")).provider == "alphavantage"  # same market

        run(main())
        assert router.calls == {"finnhub": 1, "alphavantage": 2}

    @pytest.mark.parametrize(
        "answer",
        [
            pytest.param(ok(AV_NOTE), id="note"),
            pytest.param(ok(AV_INFO), id="information"),
            pytest.param(httpx.Response(429, headers={"Retry-After": "30"}), id="429"),
        ],
    )
    def test_limit_answer_moves_to_the_next_key(
        self, settings_factory: Factory, store: StateStore, answer: httpx.Response
    ) -> None:
        router = Router()
        router.script("alphavantage", answer)

        async def main() -> None:
            async with client(
                settings_factory,
                store,
                router,
                providers="alphavantage",
                alphavantage_api_key="AVKEYONE1,AVKEYTWO2",
            ) as md:
                assert (await md.quote("IBM")).price == Decimal("121.7400")
                assert (await md.quote("MSFT")).price == Decimal("121.7400")  # still the second key

        run(main())
        keys = [r.url.params["apikey"] for r in router.requests]
        assert keys == ["AVKEYONE1", "AVKEYTWO2", "AVKEYTWO2"]

    def test_information_rests_only_that_endpoint(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("alphavantage", ok(AV_INFO))  # premium-only TIME_SERIES_DAILY_ADJUSTED

        async def main() -> None:
            async with client(settings_factory, store, router, providers="alphavantage") as md:
                with pytest.raises(RateLimitedError):
                    await md.history("IBM", adjusted=True)
                with pytest.raises(RateLimitedError):  # resting: no second premium call
                    await md.history("IBM", adjusted=True)
                assert (await md.quote("IBM")).provider == "alphavantage"

        run(main())
        functions = [r.url.params["function"] for r in router.requests]
        assert functions == ["TIME_SERIES_DAILY_ADJUSTED", "GLOBAL_QUOTE"]

    def test_state_store_outage_is_a_typed_error(
        self, settings_factory: Factory, tmp_path: Path
    ) -> None:
        broken = open_store(f"sqlite://{tmp_path / 'state'}")
        router = Router()

        async def main() -> None:
            md = AsyncMarketData(
                settings_factory(), store=broken, transport=router.async_transport()
            )
            broken.close()
            with pytest.raises(ProviderUnavailableError, match="state store"):
                await md.quote("AAPL")
            with pytest.raises(ProviderUnavailableError, match="state store"):
                await md.stats()

        run(main())

    def test_limit_answer_is_never_cached(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.script("alphavantage", ok(AV_NOTE))

        async def main() -> None:
            async with client(
                settings_factory, store, router, providers="alphavantage", key_rest=0.05
            ) as md:
                with pytest.raises(RateLimitedError) as info:
                    await md.quote("IBM")
                assert 0 < info.value.retry_after <= 0.05
                await asyncio.sleep(0.1)
                quote = await md.quote("IBM")
                assert quote.price == Decimal("121.7400")

        run(main())
        assert router.calls["alphavantage"] == 2

    def test_stale_copy_served_when_every_provider_fails(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        now = [1_700_000_000.0]

        async def main() -> Quote:
            async with client(settings_factory, store, router, clock=lambda: now[0]) as md:
                fresh = await md.quote("AAPL")
                assert not fresh.stale
                now[0] += 3600
                router.defaults["finnhub"] = lambda r: httpx.Response(500)
                router.defaults["alphavantage"] = lambda r: httpx.Response(200, content=b"{")
                return await md.quote("AAPL")

        stale = run(main())
        assert stale.stale
        assert stale.price == Decimal("162.74")

    def test_error_when_nothing_works(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        router.defaults["finnhub"] = lambda r: httpx.Response(500)
        router.defaults["alphavantage"] = lambda r: httpx.Response(200, content=b"")

        async def main() -> None:
            async with client(settings_factory, store, router, retries=2) as md:
                await md.quote("AAPL")

        with pytest.raises(ProviderUnavailableError) as info:
            run(main())
        assert set(info.value.reasons) == {"finnhub", "alphavantage"}
        assert isinstance(info.value, ConnectionError)
        assert router.calls == {"finnhub": 2, "alphavantage": 2}


class TestUnknown:
    def test_unknown_everywhere_raises_lookup_error_and_is_cached(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        router.defaults["finnhub"] = lambda r: ok(FH_ZERO)
        router.defaults["alphavantage"] = lambda r: ok({"Global Quote": {}})

        async def main() -> None:
            async with client(settings_factory, store, router) as md:
                for _ in range(3):
                    with pytest.raises(LookupError):
                        await md.quote("NOPE")

        run(main())
        assert router.calls == {"finnhub": 1, "alphavantage": 1}

    def test_other_provider_may_know_it(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        router.defaults["finnhub"] = lambda r: ok(FH_ZERO)

        async def main() -> Quote:
            async with client(settings_factory, store, router) as md:
                return await md.quote("300135.SZ")

        quote = run(main())
        assert quote.provider == "alphavantage"
        assert router.requests[-1].url.params["symbol"] == "300135.SHZ"


class TestNoHttpxEscapes:
    @staticmethod
    def _all_httpx_errors() -> list[type[Exception]]:
        found: list[type[Exception]] = []
        pending: list[type[Exception]] = [httpx.HTTPError, httpx.InvalidURL, httpx.StreamError]
        while pending:
            cls = pending.pop()
            found.append(cls)
            pending.extend(cls.__subclasses__())
        return found

    def test_every_httpx_error_maps_to_our_tree(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        request = httpx.Request("GET", "http://fh.test/")
        for cls in self._all_httpx_errors():
            if cls is httpx.HTTPStatusError:
                error: Exception = cls("x", request=request, response=httpx.Response(500))
            elif issubclass(cls, httpx.RequestError):
                error = cls("boom", request=request)
            else:
                try:
                    error = cls("boom")
                except TypeError:  # StreamError subclasses take no message
                    error = cls()
            router = Router()
            router.defaults = {"finnhub": _raiser(error), "alphavantage": _raiser(error)}

            async def main(router: Router = router) -> None:
                async with client(settings_factory, store, router, retries=1) as md:
                    await md.quote("AAPL")

            with pytest.raises(MarketDataError):
                run(main())


def _raiser(error: Exception) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        raise error

    return answer


class TestBudgets:
    def test_budget_spent_raises_with_retry_after(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()

        async def main() -> None:
            async with client(
                settings_factory, store, router, providers="finnhub", finnhub_per_minute=2
            ) as md:
                await md.quote("A")
                await md.quote("B")
                with pytest.raises(RateLimitedError) as info:
                    await md.quote("C")
                assert 0 < info.value.retry_after <= 60 + 0.25  # the default MARKETDATA_LIMIT_SLACK

        run(main())
        assert router.calls["finnhub"] == 2

    def test_spent_budget_fails_over(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()

        async def main() -> list[str]:
            async with client(settings_factory, store, router, finnhub_per_minute=1) as md:
                return [(await md.quote(s)).provider for s in ("A", "B")]

        assert run(main()) == ["finnhub", "alphavantage"]

    def test_waits_within_bound(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()

        async def main() -> None:
            async with client(
                settings_factory,
                store,
                router,
                providers="finnhub",
                finnhub_per_second=1,
                max_wait=2.0,
            ) as md:
                await md.quote("A")
                await md.quote("B")  # waits about a second for the budget

        run(main())
        assert router.calls["finnhub"] == 2

    def test_demo_key_serves_ibm_only(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()

        async def main() -> None:
            async with client(
                settings_factory,
                store,
                router,
                providers="alphavantage",
                alphavantage_api_key=None,
            ) as md:
                assert (await md.quote("IBM")).price == Decimal("121.7400")
                with pytest.raises(ProviderUnavailableError):
                    await md.quote("MSFT")

        run(main())
        assert [r.url.params["apikey"] for r in router.requests] == ["demo"]


class TestCoalescing:
    def test_concurrent_tasks_make_one_call(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()

        async def slow(request: httpx.Request) -> httpx.Response:
            await asyncio.sleep(0.05)
            return ok({"c": 1.5, "d": 0, "dp": 0, "h": 1, "l": 1, "o": 1, "pc": 1.5, "t": 1})

        router.defaults["finnhub"] = slow  # type: ignore[assignment]

        async def main() -> list[Quote]:
            async with client(settings_factory, store, router) as md:
                return await asyncio.gather(*(md.quote("IBM") for _ in range(50)))

        quotes = run(main())
        assert len({q.fetched_at for q in quotes}) == 1
        assert router.calls["finnhub"] == 1

    def test_threads_share_one_call(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        gate = threading.Event()

        def slow(request: httpx.Request) -> httpx.Response:
            gate.wait(0.2)
            return ok({"c": 1.5, "d": 0, "dp": 0, "h": 1, "l": 1, "o": 1, "pc": 1.5, "t": 1})

        router.defaults["finnhub"] = slow
        results: list[Quote] = []
        with MarketData(settings_factory(), store=store, transport=router.async_transport()) as md:
            threads = [
                threading.Thread(target=lambda: results.append(md.quote("IBM"))) for _ in range(16)
            ]
            for thread in threads:
                thread.start()
            gate.set()
            for thread in threads:
                thread.join()
        assert len(results) == 16
        assert router.calls["finnhub"] == 1

    def test_errors_are_shared_too(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()
        router.defaults["finnhub"] = lambda r: ok(FH_ZERO)
        router.defaults["alphavantage"] = lambda r: ok({"Global Quote": {}})

        async def main() -> list[Any]:
            async with client(settings_factory, store, router) as md:
                return await asyncio.gather(
                    *(md.quote("NOPE") for _ in range(10)), return_exceptions=True
                )

        results = run(main())
        assert all(isinstance(r, UnknownSymbolError) for r in results)
        assert router.calls == {"finnhub": 1, "alphavantage": 1}


class TestEvents:
    def test_fresh_quote_reaches_callbacks_iterators_and_stream(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        seen: list[Tick] = []

        def broken(tick: Tick) -> None:
            raise RuntimeError("a bad subscriber")

        async def main() -> list[Tick]:
            async with client(settings_factory, store, router) as md:
                md.subscribe(broken)
                subscription = md.subscribe(seen.append)
                iterator = md.ticks()
                first = asyncio.ensure_future(iterator.__anext__())
                await asyncio.sleep(0)
                await md.quote("AAPL")
                await md.quote("AAPL")  # cache hit: no new event
                got = [await asyncio.wait_for(first, 2)]
                subscription.cancel()
                await md.quote("MSFT")
                await iterator.aclose()  # type: ignore[attr-defined]
                return got

        last_id = store.last_id("switchyard:events")
        got = run(main())
        assert [t.symbol for t in seen] == ["AAPL"]
        assert got[0].symbol == "AAPL"
        events = [json.loads(p) for _, p in store.read("switchyard:events", last_id, count=50)]
        mine = [e for e in events if e["symbol"] in ("AAPL", "MSFT")]
        assert mine[0] == {
            "type": "tick",
            "symbol": "AAPL",
            "price": "162.74",
            "volume": None,
            "timestamp": "2022-02-24T21:00:02Z",
            "provider": "finnhub",
            "source": "quote",
        }
        assert [e["symbol"] for e in mine] == ["AAPL", "MSFT"]


class TestValidation:
    @pytest.mark.parametrize(
        ("call", "args"),
        [
            ("history", ("IBM", "2d")),
            ("history", ("IBM", "1d", date(2024, 2, 1), date(2024, 1, 1))),
            ("search", ("   ",)),
            ("quote", ("bad symbol",)),
            ("quote", ("",)),
        ],
    )
    def test_invalid_requests(
        self, settings_factory: Factory, store: StateStore, call: str, args: tuple[Any, ...]
    ) -> None:
        router = Router()
        md = MarketData(settings_factory(), store=store, transport=router.async_transport())
        with md, pytest.raises(InvalidRequestError):
            getattr(md, call)(*args)
        assert not router.calls

    def test_quotes_batch_keeps_going(self, settings_factory: Factory, store: StateStore) -> None:
        router = Router()

        def answer(request: httpx.Request) -> httpx.Response:
            if request.url.params.get("symbol") == "NOPE":
                return ok(FH_ZERO)
            return ok({"c": 2, "d": 0, "dp": 0, "h": 2, "l": 2, "o": 2, "pc": 2, "t": 1})

        router.defaults["finnhub"] = answer
        router.defaults["alphavantage"] = lambda r: ok({"Global Quote": {}})
        with MarketData(settings_factory(), store=store, transport=router.async_transport()) as md:
            batch = md.quotes(["ibm", "IBM", "msft", "NOPE", "bad sym"])
        assert sorted(batch.quotes) == ["IBM", "MSFT"]
        assert isinstance(batch.errors["NOPE"], UnknownSymbolError)
        assert isinstance(batch.errors["bad sym"], InvalidRequestError)


def test_async_client_survives_a_new_event_loop(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()
    md = AsyncMarketData(settings_factory(), store=store, transport=router.async_transport())
    first = run(md.quote("AAPL"))
    md.core.l1.clear()
    second = run(md.quote("MSFT"))
    run(md.aclose())
    assert first.symbol == "AAPL"
    assert second.symbol == "MSFT"


class ExchangeFeed:
    """A third provider written against the protocol alone (what a new provider needs)."""

    name = "exchangefeed"
    base_url = "http://feed.test"

    def __init__(self) -> None:
        self.limits = [(2, 60.0)]

    def supports(self, query: Query, key: ApiKey) -> bool:
        return query.kind == "quote"

    def build(self, query: Query, key: ApiKey, now: datetime) -> Request:
        return Request(
            f"/last/{query.symbol}", headers={"Authorization": "Bearer x"}, endpoint="last"
        )

    def parse(self, query: Query, response: RawResponse, fetched_at: datetime) -> Quote:
        data = json.loads(response.body)
        return Quote(
            symbol=query.symbol or "",
            price=Decimal(data["last"]),
            timestamp=fetched_at,
            provider=self.name,
            fetched_at=fetched_at,
        )


def test_a_new_provider_is_one_class(settings_factory: Factory, store: StateStore) -> None:
    transport = httpx.MockTransport(lambda request: ok({"last": "42.10"}))
    keys = {"exchangefeed": [ApiKey("exchangefeed", SecretStr("FEEDKEY123"))]}

    async def main() -> None:
        async with AsyncMarketData(
            settings_factory(),
            store=store,
            keys=keys,
            providers=[ExchangeFeed()],
            transport=transport,
        ) as md:
            assert (await md.quote("IBM")).price == Decimal("42.10")
            assert (await md.quote("MSFT")).provider == "exchangefeed"
            with pytest.raises(RateLimitedError):
                await md.quote("AAPL")  # its own budget: 2 calls a minute
            stats = await md.stats()
        assert [row["remaining"] for row in stats["limits"]] == [0]

    run(main())


def test_sync_client_refuses_reentry_from_its_callbacks(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()
    errors: list[Exception] = []
    with MarketData(settings_factory(), store=store, transport=router.async_transport()) as md:

        def reenter(tick: Tick) -> None:
            try:
                md.quote("MSFT")
            except RuntimeError as exc:
                errors.append(exc)

        md.subscribe(reenter)
        md.quote("AAPL")
    assert len(errors) == 1
    assert "AsyncMarketData" in str(errors[0])


@pytest.mark.parametrize(
    ("error", "code", "builtin"),
    [
        (UnknownSymbolError("X"), "unknown_symbol", LookupError),
        (RateLimitedError("x", retry_after=1), "rate_limited", Exception),
        (ProviderUnavailableError("x"), "provider_unavailable", ConnectionError),
        (InvalidRequestError("x"), "invalid_request", ValueError),
    ],
)
def test_errors_have_codes_and_builtin_bases(
    error: MarketDataError, code: str, builtin: type[Exception]
) -> None:
    assert error.code == code
    assert isinstance(error, builtin)
    assert isinstance(error, MarketDataError)


def test_sync_client_reads_l2_in_the_calling_thread(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()
    candles = {"s": "ok", "t": [1700006400], "o": [1], "h": [2], "l": [1], "c": [2], "v": [9]}
    quote = {"c": 2, "d": 0, "dp": 0, "h": 2, "l": 2, "o": 2, "pc": 2, "t": 1}
    router.defaults["finnhub"] = lambda r: ok(candles if r.url.path.endswith("candle") else quote)
    settings = settings_factory()
    with MarketData(settings, store=store, transport=router.async_transport()) as first:
        written = first.quote("AAPL")
    with MarketData(settings, store=store, transport=router.async_transport()) as second:
        read = second.quote("AAPL")
        history_first = second.history("AAPL", "1d")
        history_again = second.history("AAPL", "1d")
        stats = second.stats()
    assert read == written
    assert history_first == history_again
    assert router.calls["finnhub"] == 2  # one quote, one history
    assert stats["process"]["hits_l2"] == 1
    assert stats["process"]["hits_l1"] == 1


def test_403_is_scoped_to_a_market_and_401_to_the_key(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()

    def finnhub(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("symbol", "").endswith(".L"):
            return httpx.Response(403, json={"error": "You don't have access to this resource."})
        return ok({"c": 2, "d": 0, "dp": 0, "h": 2, "l": 2, "o": 2, "pc": 2, "t": 1})

    router.defaults["finnhub"] = finnhub

    async def main() -> list[str]:
        async with client(settings_factory, store, router) as md:
            providers = [(await md.quote(s)).provider for s in ("VOD.L", "TSCO.L", "AAPL")]
            router.defaults["finnhub"] = lambda r: httpx.Response(401, json={"error": "x"})
            providers.append((await md.quote("MSFT")).provider)  # 401: the whole key is out
            providers.append((await md.profile("MSFT")).provider)
            return providers

    router.defaults["alphavantage"] = lambda r: ok(
        {"Symbol": "X", "Name": "X"} if r.url.params["function"] == "OVERVIEW" else AV_QUOTE
    )
    assert run(main()) == ["alphavantage"] * 2 + ["finnhub"] + ["alphavantage"] * 2
    finnhub_symbols = [
        r.url.params.get("symbol") for r in router.requests if r.url.host == "fh.test"
    ]
    assert finnhub_symbols == ["VOD.L", "AAPL", "MSFT"]  # TSCO.L and the profile not asked


class TestCrossProcessLease:
    """Another process's lease, simulated by writing it to the shared store."""

    def test_waits_then_takes_over_from_a_dead_leader(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        settings = settings_factory()
        key = Query("quote", symbol="IBM").cache_key

        async def main() -> dict[str, Any]:
            async with client(settings_factory, store, router, namespace=settings.namespace) as md:
                store.add(f"{settings.namespace}:lease:{key}", b"another-process", ttl=0.5)
                assert (await md.quote("IBM")).symbol == "IBM"
                return await md.stats()

        stats = run(main())
        assert router.calls["finnhub"] == 1
        assert stats["process"]["coalesced"] >= 1

    def test_follower_raises_the_leaders_error(
        self, settings_factory: Factory, store: StateStore
    ) -> None:
        router = Router()
        settings = settings_factory()
        key = Query("quote", symbol="IBM").cache_key
        failure = {"kind": "rate_limited", "message": "spent", "retry_after": 7}

        async def main() -> None:
            async with client(settings_factory, store, router, namespace=settings.namespace) as md:
                store.add(f"{settings.namespace}:lease:{key}", b"another-process", ttl=0.5)
                store.set(f"{settings.namespace}:error:{key}", json.dumps(failure).encode(), ttl=30)
                await md.quote("IBM")

        with pytest.raises(RateLimitedError) as info:
            run(main())
        assert info.value.retry_after == 7
        assert not router.calls  # the follower never called upstream itself


@pytest.mark.parametrize(
    ("period", "start"),
    [
        ("5d", date(2024, 3, 10)),
        ("1mo", date(2024, 2, 13)),
        ("ytd", date(2024, 1, 1)),
        ("1y", date(2023, 3, 15)),
        ("max", date(1970, 1, 2)),
    ],
)
def test_history_periods(
    settings_factory: Factory, store: StateStore, period: str, start: date
) -> None:
    router = Router()
    router.defaults["finnhub"] = lambda r: ok({"s": "no_data"})
    now = datetime(2024, 3, 15, 18, 0, tzinfo=UTC).timestamp()

    async def main() -> None:
        async with client(settings_factory, store, router, clock=lambda: now) as md:
            await md.history("IBM", "1d", period=period)

    run(main())
    sent = datetime.fromtimestamp(int(router.requests[0].url.params["from"]), tz=UTC).date()
    assert sent == start


def test_history_period_validation(settings_factory: Factory, store: StateStore) -> None:
    router = Router()
    with MarketData(settings_factory(), store=store, transport=router.async_transport()) as md:
        with pytest.raises(InvalidRequestError, match="period must be"):
            md.history("IBM", period="7w")
        with pytest.raises(InvalidRequestError, match="either period or start"):
            md.history("IBM", start=date(2024, 1, 1), period="1y")
    assert not router.calls


def test_cancelling_the_leader_does_not_cancel_its_followers(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()
    release = asyncio.Event()

    async def slow(request: httpx.Request) -> httpx.Response:
        await release.wait()  # the upstream answers only after the first caller has left
        return ok({"c": 3, "d": 0, "dp": 0, "h": 3, "l": 3, "o": 3, "pc": 3, "t": 1})

    router.defaults["finnhub"] = slow  # type: ignore[assignment]

    async def main() -> Quote:
        async with client(settings_factory, store, router) as md:
            leader = asyncio.ensure_future(md.quote("IBM"))
            await asyncio.sleep(0.05)
            follower = asyncio.ensure_future(md.quote("IBM"))
            timed_out = asyncio.ensure_future(asyncio.wait_for(md.quote("IBM"), 0.01))
            await asyncio.sleep(0.05)
            leader.cancel()
            release.set()
            quote = await asyncio.wait_for(follower, 5)
            assert leader.cancelled()
            with pytest.raises(TimeoutError):
                await timed_out
            return quote

    assert run(main()).price == Decimal(3)
    assert router.calls["finnhub"] == 1  # the first caller left, its upstream call served


def test_unknown_from_one_provider_while_the_other_fails_keeps_stale_data(
    settings_factory: Factory, store: StateStore
) -> None:
    router = Router()
    now = [1_700_000_000.0]

    async def main() -> Quote:
        async with client(settings_factory, store, router, clock=lambda: now[0]) as md:
            await md.quote("AAPL")
            now[0] += 3600
            router.defaults["finnhub"] = lambda r: ok(FH_ZERO)  # a glitch: all zeros
            router.defaults["alphavantage"] = lambda r: httpx.Response(503)
            return await md.quote("AAPL")

    quote = run(main())
    assert quote.stale
    assert quote.price == Decimal("162.74")
