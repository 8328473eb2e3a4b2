"""Cache entries (L1 in process, L2 in the state store) and their freshness rules."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cachetools import LRUCache
from pydantic import TypeAdapter

from marketdata._clock import is_market_open, next_close
from marketdata._models import History, NewsItem, Profile, Quote, SymbolMatch

if TYPE_CHECKING:
    from marketdata._providers._base import Kind, Query, Result
    from marketdata._settings import MarketDataSettings

_ADAPTERS: dict[Kind, TypeAdapter[Any]] = {
    "quote": TypeAdapter(Quote),
    "history": TypeAdapter(History),
    "news": TypeAdapter(list[NewsItem]),
    "profile": TypeAdapter(Profile),
    "search": TypeAdapter(list[SymbolMatch]),
}
_INTRADAY_SECONDS = {"1min": 60, "5min": 300, "15min": 900, "30min": 1800, "60min": 3600}


@dataclass(frozen=True)
class Entry:
    """A cached answer: data, or the fact that the symbol is unknown."""

    fresh_until: float
    provider: str
    result: Result | None = None
    unknown: str | None = None

    def fresh(self, now: float) -> bool:
        """Whether the entry is inside its freshness window."""
        return now < self.fresh_until

    def encode(self, kind: Kind) -> bytes:
        """Bytes for the L2 store."""
        body: dict[str, Any] = {"v": 1, "fresh_until": self.fresh_until, "provider": self.provider}
        if self.unknown is not None:
            body["unknown"] = self.unknown
        else:
            body["data"] = _ADAPTERS[kind].dump_python(self.result, mode="json")
        return json.dumps(body, separators=(",", ":")).encode()

    @classmethod
    def decode(cls, kind: Kind, raw: bytes | None) -> Entry | None:
        """Parse L2 bytes; None when absent or unreadable (treated as a miss)."""
        if raw is None:
            return None
        try:
            body = json.loads(raw)
            if body.get("v") != 1:
                return None
            if "unknown" in body:
                return cls(float(body["fresh_until"]), str(body["provider"]), None, body["unknown"])
            result = _ADAPTERS[kind].validate_python(body["data"])
            return cls(float(body["fresh_until"]), str(body["provider"]), result)
        except (ValueError, KeyError, TypeError):
            return None


def mark_stale(result: Result) -> Result:
    """A copy of ``result`` flagged ``stale=True``."""
    if isinstance(result, list):
        return [
            item.model_copy(update={"stale": True}) if isinstance(item, NewsItem) else item
            for item in result
        ]  # type: ignore[return-value]
    return result.model_copy(update={"stale": True})


def freshness(query: Query, settings: MarketDataSettings, now: float) -> float:
    """Seconds a freshly fetched answer to ``query`` stays fresh.

    Quotes: ``ttl_quote`` in US market hours, ``ttl_quote_closed`` outside. Daily, weekly and
    monthly bars: until the next close (for ranges ending before today: ``stale_ttl``).
    Intraday bars: one interval (or ``ttl_intraday``). News ``ttl_news``; profiles
    ``ttl_profile``; searches ``ttl_search``.
    """
    moment = datetime.fromtimestamp(now, tz=UTC)
    if query.kind == "quote":
        return settings.ttl_quote if is_market_open(moment) else settings.ttl_quote_closed
    if query.kind == "history":
        interval = query.interval or "1d"
        if interval in _INTRADAY_SECONDS:
            return settings.ttl_intraday or float(_INTRADAY_SECONDS[interval])
        if query.end is not None and query.end < moment.date():
            return settings.stale_ttl
        return max(60.0, (next_close(moment) - moment).total_seconds())
    if query.kind == "news":
        return settings.ttl_news
    if query.kind == "profile":
        return settings.ttl_profile
    return settings.ttl_search


class L1:
    """The in-process cache: a thread-safe LRU of entries (freshness checked by the caller)."""

    def __init__(self, maxsize: int) -> None:
        self._cache: LRUCache[str, Entry] = LRUCache(maxsize=maxsize)
        self._lock = threading.Lock()

    def get(self, key: str) -> Entry | None:
        """The entry, fresh or not, or None."""
        with self._lock:
            return self._cache.get(key)

    def put(self, key: str, entry: Entry) -> None:
        """Store an entry."""
        with self._lock:
            self._cache[key] = entry

    def clear(self) -> None:
        """Forget everything."""
        with self._lock:
            self._cache.clear()
