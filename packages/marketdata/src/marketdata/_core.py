"""The one fetch engine behind ``MarketData`` and ``AsyncMarketData``.

For every query: L1 (in process) → in-process coalescing (one task per key) → L2 (state
store) → cross-process coalescing (an atomic lease in the store; others poll L2 for the
leader's result) → providers in order, each key within its shared rate budget, with bounded
retries → stale copy → one typed error.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx
from tenacity import (
    AsyncRetrying,
    retry_if_exception_type,
    stop_after_attempt,
    wait_exponential_jitter,
)

from marketdata._cache import L1, Entry, freshness, mark_stale
from marketdata._events import EventBus
from marketdata._exceptions import (
    MarketDataError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from marketdata._faults import (
    AccessFault,
    Fault,
    LimitFault,
    RequestFault,
    TransientFault,
    UnknownFault,
)
from marketdata._keys import ApiKey, redact
from marketdata._limits import BudgetSpentError, KeyLimits, budget_key
from marketdata._models import Quote, Tick
from marketdata._providers import (
    AlphaVantage,
    Finnhub,
    Provider,
    Query,
    RawResponse,
    Request,
    Result,
)
from statestore import AsyncStateStore, StateStore, StateStoreError

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from marketdata._settings import MarketDataSettings
from marketdata._symbols import market_of
from marketdata._transport import SECRET_PARAMS, SecretParamsTransport

logger = logging.getLogger("marketdata")

_ERROR_TTL = 2.0
_MIN_REST = 1.0
MAX_BODY = 32 * 2**20
"""Bytes of one provider answer read at most (a full daily history is a few MiB)."""


def make_providers(settings: MarketDataSettings) -> list[Provider]:
    """The providers in the configured order, with their base URLs and per-key budgets."""
    registry: dict[str, Callable[[], Provider]] = {
        "alphavantage": lambda: AlphaVantage(
            settings.alphavantage_url,
            limits=[
                (settings.alphavantage_per_minute, 60.0),
                (settings.alphavantage_per_day, 86_400.0),
            ],
        ),
        "finnhub": lambda: Finnhub(
            settings.finnhub_url,
            limits=[(settings.finnhub_per_second, 1.0), (settings.finnhub_per_minute, 60.0)],
        ),
    }
    return [registry[name]() for name in settings.provider_order]


@dataclass
class _Outcome:
    """What trying every provider produced, for the final decision."""

    reasons: dict[str, str]
    retry_after: float = math.inf
    unknown: bool = False
    only_limits: bool = True
    failed: bool = False  # a provider that might know the symbol could not answer


class Core:
    """Cache, coalescing, budgets, failover and events; async, one event loop at a time."""

    def __init__(
        self,
        settings: MarketDataSettings,
        *,
        store: StateStore,
        keys: dict[str, list[ApiKey]],
        providers: list[Provider] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        bus: EventBus | None = None,
    ) -> None:
        self.settings = settings
        self.store = store
        self.astore = AsyncStateStore(store)
        self.keys = keys
        self.providers = providers if providers is not None else make_providers(settings)
        self.clock = clock
        self.sleep = sleep
        self.bus = bus or EventBus(store)
        self.l1 = L1(settings.l1_size)
        self.stats: Counter[str] = Counter()
        self._unflushed: Counter[str] = Counter()
        self._stats_lock = threading.Lock()
        self._inflight: dict[str, asyncio.Task[Result]] = {}
        self._transport = transport
        self._prefix = settings.namespace + ":"
        self.limits = KeyLimits(
            self.astore, settings.namespace, clock, self._count, settings.limit_slack
        )
        self._client: httpx.AsyncClient | None = None
        self._client_loop: asyncio.AbstractEventLoop | None = None

    # ----- public entry points -------------------------------------------------------
    def cached(self, query: Query) -> Result | None:
        """A fresh L1 answer without touching the event loop (the sync fast path).

        Raises:
            UnknownSymbolError: the symbol is cached as unknown.
        """
        entry = self.l1.get(query.cache_key)
        if entry is None or not entry.fresh(self.clock()):
            return None
        self._count("hits_l1")
        return self._unwrap(query, entry)

    def cached_shared(self, query: Query) -> Result | None:
        """A fresh L1 or L2 answer read in the calling thread (the sync fast path).

        The state store is thread-safe, so a synchronous caller reads it directly instead of
        hopping to the event loop and from there to a worker thread.

        Raises:
            UnknownSymbolError: the symbol is cached as unknown.
        """
        found = self.cached(query)
        if found is not None:
            return found
        try:
            raw = self.store.get(self._prefix + "cache:" + query.cache_key)
        except StateStoreError:
            return None
        entry = Entry.decode(query.kind, raw)
        if entry is None or not entry.fresh(self.clock()):
            return None
        self._count("hits_l2")
        self.l1.put(query.cache_key, entry)
        return self._unwrap(query, entry)

    async def fetch(self, query: Query) -> Result:
        """Answer ``query`` (see the module docstring for the path it takes).

        The fetch runs in a task of its own that every concurrent caller awaits (shielded):
        a caller that is cancelled or times out leaves, and the others still get the one
        upstream answer, which is cached for the next caller.

        Raises:
            UnknownSymbolError, RateLimitedError, ProviderUnavailableError.
        """
        found = self.cached(query)
        if found is not None:
            return found
        key = query.cache_key
        task = self._inflight.get(key)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._lead(query))
            self._inflight[key] = task
            task.add_done_callback(lambda done: self._settle(key, done))
        else:
            self._count("coalesced")
        return await asyncio.shield(task)

    def _settle(self, key: str, task: asyncio.Task[Result]) -> None:
        if self._inflight.get(key) is task:
            del self._inflight[key]
        if not task.cancelled():
            task.exception()  # mark retrieved: every caller may have left

    async def _lead(self, query: Query) -> Result:
        try:
            return await self._fetch_shared(query)
        except StateStoreError as exc:
            raise ProviderUnavailableError(
                "the shared state store is unavailable",
                reasons={"statestore": type(exc).__name__},
            ) from None

    async def aclose(self) -> None:
        """Stop fetches nobody awaits any more, close the HTTP client, flush counters."""
        pending = [task for task in self._inflight.values() if not task.done()]
        for task in pending:
            task.cancel()
        if pending:
            await asyncio.gather(*pending, return_exceptions=True)
        if self._client is not None:
            await self._client.aclose()
            self._client = None
        await self.flush_stats()

    # ----- counters ------------------------------------------------------------------
    def _count(self, name: str, amount: int = 1) -> None:
        with self._stats_lock:  # the sync fast path counts from callers' threads
            self.stats[name] += amount
            self._unflushed[name] += amount

    async def flush_stats(self) -> None:
        """Add this process's counters to the shared totals in the store."""
        with self._stats_lock:
            pending, self._unflushed = self._unflushed, Counter()
        for name, amount in pending.items():
            try:
                await self.astore.incr(self._prefix + "stats:" + name, amount)
            except StateStoreError:
                logger.warning("marketdata could not flush stats", exc_info=True)
                return

    # ----- L2 and cross-process coalescing ---------------------------------------------
    def _unwrap(self, query: Query, entry: Entry) -> Result:
        if entry.unknown is not None or entry.result is None:
            raise UnknownSymbolError(query.symbol or query.text or "", entry.unknown)
        return entry.result

    async def _l2(self, query: Query) -> Entry | None:
        try:
            raw = await self.astore.get(self._prefix + "cache:" + query.cache_key)
        except StateStoreError:
            logger.warning("marketdata L2 read failed", exc_info=True)
            return None
        return Entry.decode(query.kind, raw)

    async def _fetch_shared(self, query: Query) -> Result:
        key = query.cache_key
        lease = self._prefix + "lease:" + key
        error_key = self._prefix + "error:" + key
        deadline = self.clock() + self.settings.coalesce_timeout
        # long enough for the leader to try every provider with every retry; it expires if the
        # leader dies, and a waiting process then takes over
        per_provider = self.settings.retries * (
            self.settings.timeout + self.settings.retry_wait * 8
        )
        lease_ttl = max(len(self.providers), 1) * per_provider + 5
        token = uuid.uuid4().hex.encode()
        delay = 0.005
        while True:
            entry = await self._l2(query)
            if entry is not None and entry.fresh(self.clock()):
                self._count("hits_l2")
                self.l1.put(key, entry)
                return self._unwrap(query, entry)
            if entry is None:  # L2 lost it (evicted, flushed): our own copy may still serve stale
                entry = self.l1.get(key)
            try:
                leader = await self.astore.add(lease, token, ttl=lease_ttl)
            except StateStoreError:
                logger.warning("marketdata lease failed; fetching alone", exc_info=True)
                leader = True
            if leader:
                try:
                    again = await self._l2(query)
                    if again is not None and again.fresh(self.clock()):
                        self._count("hits_l2")
                        self.l1.put(key, again)
                        return self._unwrap(query, again)
                    return await self._fetch_upstream(query, entry, error_key)
                finally:
                    try:
                        if await self.astore.get(lease) == token:
                            await self.astore.delete(lease)
                    except StateStoreError:
                        logger.warning("marketdata lease release failed", exc_info=True)
            # another process is fetching: wait for its result
            self._count("coalesced")
            await self.sleep(delay)
            delay = min(delay * 2, 0.05)
            failure = await self.astore.get(error_key)
            if failure is not None and await self.astore.get(lease) is None:
                fresh = await self._l2(query)
                if fresh is None or not fresh.fresh(self.clock()):
                    if entry is not None and entry.result is not None:
                        return self._stale(query, entry)
                    raise self._shared_error(failure)
            if self.clock() > deadline:
                if entry is not None:
                    return self._stale(query, entry)
                raise ProviderUnavailableError(
                    "timed out waiting for another process's fetch",
                    reasons={"coalescing": f"no answer in {self.settings.coalesce_timeout:g} s"},
                )

    @staticmethod
    def _shared_error(failure: bytes) -> MarketDataError:
        """The error the leading process recorded, for a follower to raise."""
        try:
            body = json.loads(failure)
            kind, message = str(body["kind"]), str(body["message"])
            retry_after = float(body.get("retry_after", 0.0))
        except (ValueError, KeyError, TypeError):
            return ProviderUnavailableError("another process's fetch failed")
        if kind == "rate_limited":
            return RateLimitedError(message.split(" (retry after")[0], retry_after=retry_after)
        return ProviderUnavailableError(message)

    def _stale(self, query: Query, entry: Entry) -> Result:
        result = self._unwrap(query, entry)
        self._count("stale_served")
        return mark_stale(result)

    # ----- providers -------------------------------------------------------------------
    async def _fetch_upstream(self, query: Query, stale: Entry | None, error_key: str) -> Result:
        waited = 0.0
        while True:
            outcome = _Outcome(reasons={})
            for provider in self.providers:
                result = await self._try_provider(provider, query, outcome)
                if result is not None:
                    await self._store_result(query, provider.name, result)
                    return result
            has_stale = stale is not None and stale.result is not None
            # "unknown" from one provider while another failed does not erase known data
            if outcome.unknown and not (has_stale and outcome.failed):
                await self._store_unknown(query, outcome)
                raise UnknownSymbolError(query.symbol or query.text or "")
            if stale is not None and stale.result is not None:
                logger.warning(
                    "marketdata serving stale data",
                    extra={"query": query.cache_key, "reasons": outcome.reasons},
                )
                return self._stale(query, stale)
            limited = outcome.only_limits and math.isfinite(outcome.retry_after)
            if limited and waited + outcome.retry_after <= self.settings.max_wait:
                self._count("budget_waits")
                await self.sleep(outcome.retry_after)
                waited += outcome.retry_after
                continue
            if limited:
                error: MarketDataError = RateLimitedError(
                    "every provider's rate budget is spent", retry_after=outcome.retry_after
                )
                record = {"kind": "rate_limited", "retry_after": outcome.retry_after}
            elif not outcome.reasons:
                error = ProviderUnavailableError("no provider is configured")
                record = {"kind": "unavailable"}
            else:
                error = ProviderUnavailableError(
                    "no provider could answer", reasons=outcome.reasons
                )
                record = {"kind": "unavailable"}
            record["message"] = str(error)
            self._count("errors")
            try:
                await self.astore.set(error_key, json.dumps(record).encode(), ttl=_ERROR_TTL)
            except StateStoreError:
                logger.warning("marketdata could not record the failure", exc_info=True)
            raise error

    async def _try_provider(
        self, provider: Provider, query: Query, outcome: _Outcome
    ) -> Result | None:
        name = provider.name
        keys = [k for k in self.keys.get(name, []) if provider.supports(query, k)]
        if not self.keys.get(name):
            outcome.reasons[name] = "no API key configured"
            outcome.only_limits = False
            return None
        if not keys:
            if all(k.is_demo for k in self.keys[name]):
                outcome.reasons[name] = (
                    "only the public demo key is configured (it serves IBM only); "
                    "set ALPHAVANTAGE_API_KEY"
                )
            else:
                outcome.reasons[name] = "cannot serve this request with the configured keys"
            outcome.only_limits = False
            return None
        for key in keys:
            endpoint = provider.build(query, key, self._now()).endpoint
            scope = f"{query.kind}:{market_of(query.symbol)}"
            denied, rest = await self.limits.resting(name, key, scope, endpoint)
            if denied:
                outcome.reasons[name] = "key refused access to this data earlier"
                outcome.only_limits = False
                outcome.failed = True
                continue
            if rest is not None:
                outcome.failed = True
                outcome.reasons[name] = "key resting after a limit answer"
                outcome.retry_after = min(outcome.retry_after, rest)
                continue
            try:
                return await self._call_with_retries(provider, key, query)
            except BudgetSpentError as spent:
                outcome.failed = True
                outcome.reasons[name] = "rate budget spent"
                outcome.retry_after = min(outcome.retry_after, spent.retry_after)
            except LimitFault as fault:
                # "Retry-After: 0" (or a date already past) must not turn the bounded wait
                # into a loop that asks a limiting provider again and again
                pause = (
                    max(fault.retry_after, _MIN_REST)
                    if fault.retry_after is not None
                    else self.settings.key_rest
                )
                await self.limits.rest(
                    name, key, pause, endpoint if fault.scope == "endpoint" else ""
                )
                outcome.failed = True
                outcome.reasons[name] = f"limit answer: {fault.reason}"
                outcome.retry_after = min(outcome.retry_after, pause)
            except AccessFault as fault:
                await self.limits.deny(name, key, "*" if fault.whole_key else scope)
                outcome.reasons[name] = f"access refused: {fault.reason}"
                outcome.only_limits = False
                outcome.failed = True
            except UnknownFault as fault:
                outcome.unknown = True
                outcome.reasons[name] = f"unknown symbol ({fault.reason})"
                return None
            except (TransientFault, RequestFault) as fault:
                outcome.reasons[name] = fault.reason
                outcome.only_limits = False
                outcome.failed = True
                return None
        return None

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.clock(), tz=UTC)

    async def _call_with_retries(self, provider: Provider, key: ApiKey, query: Query) -> Result:
        retrying = AsyncRetrying(
            stop=stop_after_attempt(self.settings.retries),
            wait=wait_exponential_jitter(
                multiplier=self.settings.retry_wait,
                max=self.settings.retry_wait * 8,
                jitter=self.settings.retry_wait,
            ),
            retry=retry_if_exception_type(TransientFault),
            sleep=self.sleep,
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._call(provider, key, query)
        raise AssertionError("unreachable")  # pragma: no cover

    def _http(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        if self._client is not None and self._client_loop is not loop:
            self._client = None  # used from a new event loop: the old pool belongs to the old one
        if self._client is None:
            self._client_loop = loop
            self._client = httpx.AsyncClient(
                timeout=self.settings.timeout,
                transport=SecretParamsTransport(self._transport or httpx.AsyncHTTPTransport()),
                trust_env=False,
                follow_redirects=False,
                headers={"User-Agent": "switchyard-marketdata"},
            )
        return self._client

    async def _exchange(
        self, provider: Provider, request: Request
    ) -> tuple[int, httpx.Headers, bytes]:
        """Send ``request``; read at most ``MAX_BODY`` bytes of the answer.

        Raises:
            RequestFault: the answer is larger than ``MAX_BODY`` (retrying cannot help).
            httpx.HTTPError: transport failures, mapped by the caller.
        """
        async with self._http().stream(
            "GET",
            provider.base_url + request.path,
            params=request.params,
            headers=request.headers,
            extensions={SECRET_PARAMS: request.secret_params},
        ) as response:
            chunks: list[bytes] = []
            size = 0
            async for chunk in response.aiter_bytes():
                size += len(chunk)
                if size > MAX_BODY:
                    raise RequestFault(f"answer larger than {MAX_BODY // 2**20} MiB")
                chunks.append(chunk)
            return response.status_code, response.headers, b"".join(chunks)

    async def _call(self, provider: Provider, key: ApiKey, query: Query) -> Result:
        now = datetime.fromtimestamp(self.clock(), tz=UTC)
        request = provider.build(query, key, now)
        self._http()  # create the client (a costly SSL context) before the budget clock runs
        await self.limits.take(provider, key)  # as late as possible: counted when it is sent
        started = time.perf_counter()
        self._count(f"upstream:{provider.name}")
        status: int | str = "error"
        try:
            # httpx's timeout bounds each read, so a server dripping a byte a second would
            # hold the call (and its lease) for ever: the whole exchange gets one deadline
            async with asyncio.timeout(self.settings.timeout):
                code, headers, body = await self._exchange(provider, request)
            status = code
        except (httpx.TimeoutException, TimeoutError):
            raise TransientFault("timeout") from None
        except (httpx.HTTPError, httpx.InvalidURL, httpx.StreamError) as exc:
            raise TransientFault(f"connection failed ({type(exc).__name__})") from None
        finally:
            logger.info(
                "marketdata upstream call",
                extra={
                    "provider": provider.name,
                    "endpoint": request.endpoint,
                    "symbol": query.symbol,
                    "status": status,
                    "key_id": key.id,
                    "elapsed_ms": round((time.perf_counter() - started) * 1000, 1),
                },
            )
        raw = RawResponse(code, headers, body)
        try:
            try:
                return provider.parse(query, raw, datetime.fromtimestamp(self.clock(), tz=UTC))
            except Fault:
                raise
            except Exception as exc:
                # a shape no parser foresaw (or a provider plugged in from outside) must not
                # escape as a ValueError/TypeError/ValidationError: it is a malformed body
                raise TransientFault(f"unparseable answer ({type(exc).__name__})") from None
        except Fault as fault:
            fault.reason = redact(fault.reason)
            logger.warning(
                "marketdata provider fault",
                extra={
                    "provider": provider.name,
                    "fault": type(fault).__name__,
                    "reason": fault.reason,
                    "endpoint": request.endpoint,
                },
            )
            raise

    async def _store_result(self, query: Query, provider: str, result: Result) -> None:
        now = self.clock()
        entry = Entry(now + freshness(query, self.settings, now), provider, result)
        self.l1.put(query.cache_key, entry)
        try:
            await self.astore.set(
                self._prefix + "cache:" + query.cache_key,
                entry.encode(query.kind),
                ttl=max(self.settings.stale_ttl, entry.fresh_until - now),
            )
        except StateStoreError:
            logger.warning("marketdata L2 write failed", exc_info=True)
        if isinstance(result, Quote):
            tick = Tick(
                symbol=result.symbol,
                price=result.price,
                volume=result.volume,
                timestamp=result.timestamp,
                provider=result.provider,
                source="quote",
            )
            await self.publish(tick)
        await self.flush_stats()

    async def publish(self, tick: Tick) -> None:
        """Publish a fresh tick in process and to the shared stream."""
        self._count("ticks_published")
        self.bus.publish_local(tick)
        await asyncio.to_thread(self.bus.publish_shared, tick)

    async def _store_unknown(self, query: Query, outcome: _Outcome) -> None:
        if self.settings.ttl_unknown <= 0:
            return
        now = self.clock()
        reason = "; ".join(f"{k}: {v}" for k, v in outcome.reasons.items())
        entry = Entry(now + self.settings.ttl_unknown, "", None, f"unknown symbol ({reason})")
        self.l1.put(query.cache_key, entry)
        try:
            await self.astore.set(
                self._prefix + "cache:" + query.cache_key,
                entry.encode(query.kind),
                ttl=self.settings.ttl_unknown,
            )
        except StateStoreError:
            logger.warning("marketdata L2 write failed", exc_info=True)

    # ----- stats -------------------------------------------------------------------
    async def shared_stats(self) -> dict[str, Any]:
        """Totals across processes, and the budgets left per provider key."""
        await self.flush_stats()
        names = ["hits_l1", "hits_l2", "coalesced", "stale_served", "errors", "ticks_published"]
        names += [f"upstream:{p.name}" for p in self.providers]
        totals: dict[str, int] = {}
        for name in names:
            raw = await self.astore.get(self._prefix + "stats:" + name)
            totals[name] = int(raw) if raw is not None else 0
        limits: list[dict[str, Any]] = []
        for provider in self.providers:
            for key in self.keys.get(provider.name, []):
                for limit, window in provider.limits:
                    decision = await self.astore.peek(
                        budget_key(self.settings.namespace, provider.name, key, window),
                        limit=limit,
                        window=window + self.limits.slack,
                    )
                    limits.append(
                        {
                            "provider": provider.name,
                            "key": "demo" if key.is_demo else key.id,
                            "limit": limit,
                            "window": window,
                            "remaining": decision.remaining,
                            "retry_after": round(decision.retry_after, 3),
                        }
                    )
        return {"totals": totals, "limits": limits}
