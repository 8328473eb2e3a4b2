"""``MarketData`` (sync) and ``AsyncMarketData``: thin faces over one shared core."""

from __future__ import annotations

import asyncio
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast, get_args

from marketdata._core import Core
from marketdata._events import Callback, EventBus, Subscription
from marketdata._exceptions import (
    ConfigurationError,
    InvalidRequestError,
    MarketDataError,
    ProviderUnavailableError,
)
from marketdata._keys import ApiKey, install_log_redaction, load_keys, register_secret
from marketdata._models import (
    History,
    Interval,
    NewsItem,
    Profile,
    Quote,
    SymbolMatch,
    Tick,
    Trade,
)
from marketdata._providers import Provider, Query
from marketdata._settings import MarketDataSettings
from marketdata._stream import stream_trades
from marketdata._symbols import normalize_symbol
from statestore import StateStore, StateStoreError, open_store

if TYPE_CHECKING:
    from collections.abc import (
        AsyncGenerator,
        AsyncIterator,
        Awaitable,
        Callable,
        Coroutine,
        Generator,
        Iterable,
    )
    from concurrent.futures import Future

    import httpx

T = TypeVar("T")
_INTERVALS = frozenset(get_args(Interval))


def _symbol_list(symbols: Iterable[str]) -> list[str]:
    """The symbols of ``quotes()``: a lone string is split on commas and spaces."""
    if isinstance(symbols, str):
        return [part for part in symbols.replace(",", " ").split() if part]
    return list(symbols)


@dataclass(frozen=True)
class QuoteBatch:
    """Quotes of several symbols: the ones that worked and, per symbol, the error of the rest."""

    quotes: dict[str, Quote] = field(default_factory=dict)
    errors: dict[str, MarketDataError] = field(default_factory=dict)


def _interval(value: str) -> Interval:
    text = value.strip().lower()
    aliases = {"1h": "60min", "1m": "1min", "d": "1d", "1w": "1wk", "w": "1wk", "m": "1mo"}
    text = aliases.get(text, text)
    if text not in _INTERVALS:
        raise InvalidRequestError(f"interval must be one of {sorted(_INTERVALS)}, got {value!r}")
    return cast("Interval", text)


PERIODS: dict[str, int] = {
    "5d": 5, "1mo": 31, "3mo": 92, "6mo": 183, "1y": 366, "2y": 731, "5y": 1827, "10y": 3653,
}  # fmt: skip
"""``period`` values of :meth:`AsyncMarketData.history` in days; ``ytd`` and ``max`` too."""


def period_start(period: str, today: date) -> date:
    """The first day of a ``period`` ending ``today``.

    Raises:
        InvalidRequestError: an unknown period.
    """
    text = period.strip().lower()
    if text == "ytd":
        return date(today.year, 1, 1)
    if text == "max":
        return date(1970, 1, 2)
    if text not in PERIODS:
        choices = [*PERIODS, "ytd", "max"]
        raise InvalidRequestError(f"period must be one of {choices}, got {period!r}")
    return today - timedelta(days=PERIODS[text])


def history_query(
    symbol: str,
    interval: str,
    start: date | None,
    end: date | None,
    adjusted: bool,
    period: str | None = None,
    today: date | None = None,
) -> Query:
    """Validate ``history`` arguments into a query.

    Raises:
        InvalidRequestError: unknown interval or period, period with start, start after end.
    """
    if period is not None:
        if start is not None:
            raise InvalidRequestError("give either period or start, not both")
        start = period_start(period, end or today or datetime.now(UTC).date())
    if start and end and start > end:
        raise InvalidRequestError(f"start {start} is after end {end}")
    return Query(
        "history",
        symbol=normalize_symbol(symbol),
        interval=_interval(interval),
        start=start,
        end=end,
        adjusted=adjusted,
    )


def news_query(symbol: str | None, limit: int) -> Query:
    """Validate ``news`` arguments into a query.

    Raises:
        InvalidRequestError: limit outside 1 to 1000, or a malformed symbol.
    """
    if not 1 <= limit <= 1000:
        raise InvalidRequestError("limit must be between 1 and 1000")
    return Query("news", symbol=normalize_symbol(symbol) if symbol else None, limit=limit)


def search_query(text: str) -> Query:
    """Validate ``search`` text into a query.

    Raises:
        InvalidRequestError: empty or over-long text.
    """
    cleaned = " ".join(text.split())
    if not cleaned or len(cleaned) > 64:
        raise InvalidRequestError("search text must be 1 to 64 characters")
    return Query("search", text=cleaned)


def _open(
    settings: MarketDataSettings | None,
    store: StateStore | None,
    keys: dict[str, list[ApiKey]] | None,
) -> tuple[MarketDataSettings, StateStore, bool, dict[str, list[ApiKey]]]:
    settings = settings or MarketDataSettings()
    install_log_redaction()
    ring = keys if keys is not None else load_keys(settings)
    for provider_keys in ring.values():
        for key in provider_keys:
            register_secret(key.secret.get_secret_value())
    owned = store is None
    if store is None:
        url = settings.state_url or f"sqlite://{settings.home_dir.resolve() / 'state'}"
        try:
            store = open_store(url)
        except (StateStoreError, ValueError) as exc:
            raise ConfigurationError(f"cannot open the state store: {exc}") from None
    return settings, store, owned, ring


class AsyncMarketData:
    """Quotes, history, news, profiles and search for asyncio code.

    Args:
        settings: Settings (default: from the environment and ``.env``).
        store: The shared state store (default: ``SWITCHYARD_STATE_URL`` or SQLite under
            ``SWITCHYARD_HOME``); a store passed in is not closed by :meth:`aclose`.
        keys: Provider keys (default: env, secrets file, Vault — see ``load_keys``).
        transport: An httpx transport for every provider request (``httpx.MockTransport``).
        providers: Provider objects in order (default: from ``settings.providers``).
        clock: Wall-clock seconds, injectable for tests.
        sleep: Async sleep, injectable for tests.

    Raises:
        ConfigurationError: the key sources or the state store are unusable.

    Example::

        async with AsyncMarketData() as md:
            quote = await md.quote("IBM")
    """

    def __init__(
        self,
        settings: MarketDataSettings | None = None,
        *,
        store: StateStore | None = None,
        keys: dict[str, list[ApiKey]] | None = None,
        transport: httpx.AsyncBaseTransport | None = None,
        providers: list[Provider] | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.settings, self.store, self._owned, ring = _open(settings, store, keys)
        self._core = Core(
            self.settings,
            store=self.store,
            keys=ring,
            providers=providers,
            transport=transport,
            clock=clock,
            sleep=sleep,
            bus=EventBus(self.store),
        )

    def _today(self) -> date:
        return datetime.fromtimestamp(self._core.clock(), tz=UTC).date()

    def __repr__(self) -> str:
        names = [p.name for p in self._core.providers]
        return f"{type(self).__name__}(providers={names}, store={self.store!r})"

    @property
    def core(self) -> Core:
        """The engine (for ``MarketData`` and the streaming client)."""
        return self._core

    async def quote(self, symbol: str) -> Quote:
        """The latest quote of one symbol.

        Args:
            symbol: ``IBM``, ``brk-b``, ``VOD.LON`` ... (normalised, see ``normalize_symbol``).

        Returns:
            The quote; ``stale=True`` when served from cache because providers failed.

        Raises:
            InvalidRequestError, UnknownSymbolError, RateLimitedError, ProviderUnavailableError.
        """
        result = await self._core.fetch(Query("quote", symbol=normalize_symbol(symbol)))
        return cast("Quote", result)

    async def quotes(self, symbols: Iterable[str]) -> QuoteBatch:
        """Quotes of several symbols, fetched concurrently; one failure spoils none.

        Args:
            symbols: Symbols (duplicates after normalisation are fetched once); one string
                is read as comma- or space-separated symbols (``"IBM,MSFT"``), never as
                letters.

        Returns:
            A :class:`QuoteBatch` keyed by canonical symbol.
        """
        wanted: dict[str, str] = {}
        batch = QuoteBatch()
        for text in _symbol_list(symbols):
            try:
                wanted.setdefault(normalize_symbol(text), text)
            except InvalidRequestError as exc:
                batch.errors[text] = exc
        results = await asyncio.gather(
            *(self.quote(symbol) for symbol in wanted), return_exceptions=True
        )
        for symbol, result in zip(wanted, results, strict=True):
            if isinstance(result, Quote):
                batch.quotes[symbol] = result
            elif isinstance(result, MarketDataError):
                batch.errors[symbol] = result
            else:
                raise result
        return batch

    async def history(
        self,
        symbol: str,
        interval: str = "1d",
        start: date | None = None,
        end: date | None = None,
        *,
        adjusted: bool = False,
        period: str | None = None,
    ) -> History:
        """Bars of one symbol between ``start`` and ``end`` (inclusive, UTC dates).

        Args:
            symbol: The symbol.
            interval: ``1min 5min 15min 30min 60min 1d 1wk 1mo``.
            start: First day (default: what the provider returns by default).
            end: Last day (default: today).
            adjusted: Adjusted closes (Alpha Vantage ``*_ADJUSTED``; premium there).
            period: Instead of ``start``: ``5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max`` before
                ``end`` (or today).

        Returns:
            The bars, oldest first.

        Raises:
            InvalidRequestError, UnknownSymbolError, RateLimitedError, ProviderUnavailableError.
        """
        query = history_query(symbol, interval, start, end, adjusted, period, self._today())
        return cast("History", await self._core.fetch(query))

    async def news(self, symbol: str | None = None, *, limit: int = 20) -> list[NewsItem]:
        """Latest headlines about ``symbol``, or general market news.

        Args:
            symbol: A symbol, or None for market news.
            limit: At most this many items (1 to 1000).

        Returns:
            Items, newest first.
        """
        result = await self._core.fetch(news_query(symbol, limit))
        return cast("list[NewsItem]", result)

    async def profile(self, symbol: str) -> Profile:
        """What the company behind ``symbol`` is."""
        result = await self._core.fetch(Query("profile", symbol=normalize_symbol(symbol)))
        return cast("Profile", result)

    async def search(self, text: str) -> list[SymbolMatch]:
        """Symbols matching a name or ticker fragment.

        Raises:
            InvalidRequestError: empty or over-long text.
        """
        result = await self._core.fetch(search_query(text))
        return cast("list[SymbolMatch]", result)

    async def stats(self) -> dict[str, Any]:
        """This process's counters, shared totals and budgets left per provider key."""
        try:
            shared = await self._core.shared_stats()
        except StateStoreError as exc:
            raise ProviderUnavailableError(
                "the shared state store is unavailable", reasons={"statestore": type(exc).__name__}
            ) from None
        return {"process": dict(self._core.stats), **shared}

    def subscribe(self, callback: Callback) -> Subscription:
        """Call ``callback(tick)`` for every fresh quote or trade seen by this process."""
        return self._core.bus.subscribe(callback)

    def ticks(self) -> AsyncIterator[Tick]:
        """An async iterator of every fresh tick seen by this process from now on."""
        return self._core.bus.iterate()

    def stream_trades(
        self, symbols: Iterable[str], *, max_reconnects: int | None = None
    ) -> AsyncGenerator[Trade, None]:
        """Live trades from Finnhub's WebSocket (``MARKETDATA_FINNHUB_WS_URL``).

        Subscribes to every symbol, reconnects with backoff and resubscribes when the
        connection drops, and publishes one tick per symbol per frame (``source="trade"``).

        Args:
            symbols: Symbols (``AAPL``, ``BINANCE:BTCUSDT``).
            max_reconnects: Consecutive failed reconnects before giving up (None: never).

        Returns:
            An async iterator of trades; stop iterating (or ``aclose()`` it) to disconnect.

        Raises:
            ConfigurationError: no Finnhub key is configured, or Finnhub refuses it.
            ProviderUnavailableError: ``max_reconnects`` reconnects failed in a row.
        """
        keys = self._core.keys.get("finnhub") or []
        if not keys:
            raise ConfigurationError("streaming needs a Finnhub key (FINNHUB_API_KEY)")
        wanted = list(dict.fromkeys(normalize_symbol(s) for s in symbols))
        if not wanted:
            raise InvalidRequestError("give at least one symbol to stream")
        return stream_trades(
            self.settings.finnhub_ws_url,
            keys[0],
            wanted,
            publish=self._core.publish,
            sleep=self._core.sleep,
            open_timeout=self.settings.timeout,
            max_reconnects=max_reconnects,
        )

    async def aclose(self) -> None:
        """Close HTTP connections, flush counters, close the store if this client opened it."""
        await self._core.aclose()
        if self._owned:
            self.store.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()


async def _next(stream: AsyncGenerator[Trade, None]) -> Trade:
    return await anext(stream)


class MarketData:
    """Quotes, history, news, profiles and search for synchronous code.

    Thread-safe. Takes the same arguments as :class:`AsyncMarketData` and runs the same core
    on a private event-loop thread; fresh in-process cache hits never leave the caller's
    thread.

    Example::

        with MarketData() as md:
            print(md.quote("IBM").price)
    """

    def __init__(self, settings: MarketDataSettings | None = None, **kwargs: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="marketdata-loop", daemon=True
        )
        self._thread.start()
        self._closed = False
        try:
            self._async = AsyncMarketData(settings, **kwargs)
        except BaseException:
            self._stop_loop()
            raise
        self.settings = self._async.settings
        self.store = self._async.store

    def __repr__(self) -> str:
        names = [p.name for p in self._async.core.providers]
        return f"{type(self).__name__}(providers={names}, store={self.store!r})"

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        if self._closed:
            coro.close()
            raise RuntimeError("MarketData is closed")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError(
                "MarketData called from its own subscriber callback; use AsyncMarketData there"
            )
        future: Future[T] = asyncio.run_coroutine_threadsafe(coro, self._loop)
        return future.result()

    def quote(self, symbol: str) -> Quote:
        """See :meth:`AsyncMarketData.quote`."""
        found = self._async.core.cached_shared(Query("quote", symbol=normalize_symbol(symbol)))
        if found is not None:
            return cast("Quote", found)
        return self._run(self._async.quote(symbol))

    def quotes(self, symbols: Iterable[str]) -> QuoteBatch:
        """See :meth:`AsyncMarketData.quotes`."""
        return self._run(self._async.quotes(_symbol_list(symbols)))

    def history(
        self,
        symbol: str,
        interval: str = "1d",
        start: date | None = None,
        end: date | None = None,
        *,
        adjusted: bool = False,
        period: str | None = None,
    ) -> History:
        """See :meth:`AsyncMarketData.history`."""
        query = history_query(symbol, interval, start, end, adjusted, period, self._async._today())
        found = self._async.core.cached_shared(query)
        if found is not None:
            return cast("History", found)
        return self._run(
            self._async.history(symbol, interval, start, end, adjusted=adjusted, period=period)
        )

    def news(self, symbol: str | None = None, *, limit: int = 20) -> list[NewsItem]:
        """See :meth:`AsyncMarketData.news`."""
        found = self._async.core.cached_shared(news_query(symbol, limit))
        if found is not None:
            return cast("list[NewsItem]", found)
        return self._run(self._async.news(symbol, limit=limit))

    def profile(self, symbol: str) -> Profile:
        """See :meth:`AsyncMarketData.profile`."""
        found = self._async.core.cached_shared(Query("profile", symbol=normalize_symbol(symbol)))
        if found is not None:
            return cast("Profile", found)
        return self._run(self._async.profile(symbol))

    def search(self, text: str) -> list[SymbolMatch]:
        """See :meth:`AsyncMarketData.search`."""
        found = self._async.core.cached_shared(search_query(text))
        if found is not None:
            return cast("list[SymbolMatch]", found)
        return self._run(self._async.search(text))

    def stats(self) -> dict[str, Any]:
        """See :meth:`AsyncMarketData.stats`."""
        return self._run(self._async.stats())

    def subscribe(self, callback: Callback) -> Subscription:
        """Call ``callback(tick)`` (on the client's loop thread) for every fresh tick."""
        return self._async.subscribe(callback)

    def stream_trades(
        self, symbols: Iterable[str], *, max_reconnects: int | None = None
    ) -> Generator[Trade, None, None]:
        """See :meth:`AsyncMarketData.stream_trades`; a blocking iterator of trades.

        Close the iterator (``.close()``, or leave a ``for`` loop) to disconnect.
        """
        stream = self._async.stream_trades(symbols, max_reconnects=max_reconnects)
        try:
            while True:
                try:
                    yield self._run(_next(stream))
                except StopAsyncIteration:
                    return
        finally:
            if not self._closed:
                self._run(stream.aclose())

    def close(self) -> None:
        """Close connections and the loop thread (idempotent)."""
        if self._closed:
            return
        try:
            self._run(self._async.aclose())
        finally:
            self._closed = True
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)
        self._loop.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
