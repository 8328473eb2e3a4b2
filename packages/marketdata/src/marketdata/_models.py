"""The normalised data models every provider maps into.

Prices are exact ``Decimal`` (serialised to JSON as strings), timestamps are timezone-aware
UTC, percentages are plain numbers (``1.23`` means 1.23 %). Every model names the provider
that served it, when it was fetched, and whether it is ``stale`` (served from cache past its
freshness window because the providers failed, or data the provider itself marks as old).
"""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal  # noqa: TC003 - pydantic resolves annotations at runtime
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

__all__ = [
    "Bar",
    "History",
    "Interval",
    "NewsItem",
    "Profile",
    "Quote",
    "SymbolMatch",
    "Tick",
    "Trade",
]


def _utc(value: datetime) -> datetime:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("timestamp must be timezone-aware")
    return value.astimezone(UTC)


UTCDateTime = Annotated[datetime, AfterValidator(_utc)]
"""A timezone-aware datetime, normalised to UTC."""

Interval = Literal["1min", "5min", "15min", "30min", "60min", "1d", "1wk", "1mo"]
"""Bar intervals understood by :meth:`MarketData.history`."""


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Quote(_Model):
    """The latest price of one symbol."""

    symbol: str
    price: Decimal
    open: Decimal | None = None
    high: Decimal | None = None
    low: Decimal | None = None
    previous_close: Decimal | None = None
    change: Decimal | None = None
    change_percent: Decimal | None = Field(default=None, description="1.23 means 1.23 %")
    volume: int | None = None
    timestamp: UTCDateTime
    provider: str
    fetched_at: UTCDateTime
    stale: bool = False


class Bar(_Model):
    """One OHLCV bar; ``timestamp`` is the bar's start in UTC (daily bars: 00:00 UTC)."""

    timestamp: UTCDateTime
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal
    adjusted_close: Decimal | None = None
    volume: int | None = None


class History(_Model):
    """Bars of one symbol, oldest first."""

    symbol: str
    interval: Interval
    bars: list[Bar]
    provider: str
    fetched_at: UTCDateTime
    stale: bool = False


class NewsItem(_Model):
    """One headline; ``sentiment`` is in [-1, 1] when the provider scores it."""

    id: str
    headline: str
    summary: str
    url: str
    source: str
    published_at: UTCDateTime
    symbols: list[str]
    sentiment: float | None = None
    image_url: str | None = None
    provider: str
    fetched_at: UTCDateTime
    stale: bool = False


class Profile(_Model):
    """What a company is; ``market_cap`` in units of ``currency``."""

    symbol: str
    name: str
    exchange: str
    currency: str
    country: str
    industry: str
    market_cap: Decimal | None = None
    ipo: str | None = None
    website: str | None = None
    logo: str | None = None
    description: str | None = None
    provider: str
    fetched_at: UTCDateTime
    stale: bool = False


class SymbolMatch(_Model):
    """One search result; ``match_score`` in [0, 1] when the provider ranks results."""

    symbol: str
    name: str
    type: str
    region: str
    currency: str
    match_score: float | None = None
    provider: str


class Trade(_Model):
    """One trade from a streaming feed (Finnhub WebSocket ``trade`` frames)."""

    symbol: str
    price: Decimal
    volume: Decimal
    timestamp: UTCDateTime
    conditions: list[str] | None = None
    provider: str


class Tick(_Model):
    """A fresh price, published to subscribers and the ``switchyard:events`` stream."""

    symbol: str
    price: Decimal
    volume: int | float | None = None
    timestamp: UTCDateTime
    provider: str
    source: Literal["quote", "trade"]

    def to_event(self) -> dict[str, object]:
        """The event payload of the shared stream (CONTRACTS: ``type`` ``tick``).

        Returns:
            A JSON-ready dict with a decimal-string price and an ISO-8601 ``Z`` timestamp.
        """
        return {
            "type": "tick",
            "symbol": self.symbol,
            "price": str(self.price),
            "volume": self.volume,
            "timestamp": self.timestamp.strftime("%Y-%m-%dT%H:%M:%S")
            + (f".{self.timestamp.microsecond // 1000:03d}" if self.timestamp.microsecond else "")
            + "Z",
            "provider": self.provider,
            "source": self.source,
        }
