"""Deterministic, realistic provider payloads for any symbol (prices derived from its name)."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from zoneinfo import ZoneInfo

_EASTERN = ZoneInfo("America/New_York")
_CENT4 = Decimal("0.0001")
_CENT2 = Decimal("0.01")

COMPANIES: dict[str, tuple[str, str, str, str]] = {
    # symbol: (name, exchange, industry, country)
    "IBM": ("International Business Machines", "NYSE", "Information Technology Services", "US"),
    "AAPL": ("Apple Inc", "NASDAQ", "Technology", "US"),
    "MSFT": ("Microsoft Corporation", "NASDAQ", "Technology", "US"),
    "BA": ("The Boeing Company", "NYSE", "Aerospace & Defense", "US"),
    "BRK.B": ("Berkshire Hathaway Inc", "NYSE", "Insurance", "US"),
    "TSCO.L": ("Tesco PLC", "LSE", "Grocery Stores", "GB"),
    "VOD.L": ("Vodafone Group PLC", "LSE", "Telecom Services", "GB"),
    "SAP.DE": ("SAP SE", "XETRA", "Software", "DE"),
}


def _seed(symbol: str, salt: str = "") -> int:
    return int.from_bytes(hashlib.sha256(f"{symbol}|{salt}".encode()).digest()[:8], "big")


def base_price(symbol: str) -> Decimal:
    """A stable price between 5 and 505 for a symbol."""
    return (Decimal(_seed(symbol) % 50_000) / 100 + 5).quantize(_CENT4)


def price_on(symbol: str, day: date, step: int = 0) -> Decimal:
    """A deterministic random-walk-ish price of ``symbol`` on ``day`` (and intraday ``step``)."""
    wiggle = Decimal(_seed(symbol, f"{day.isoformat()}:{step}") % 2001 - 1000) / 40_000
    return (base_price(symbol) * (1 + wiggle)).quantize(_CENT4, ROUND_HALF_UP)


def trading_days(end: date, count: int) -> list[date]:
    """The last ``count`` weekdays up to ``end``, newest first."""
    days: list[date] = []
    day = end
    while len(days) < count:
        if day.weekday() < 5:
            days.append(day)
        day -= timedelta(days=1)
    return days


def last_trading_day(now: datetime) -> date:
    """The latest weekday whose session has started (New York time)."""
    local = now.astimezone(_EASTERN)
    day = local.date()
    if local.time() < time(9, 30):
        day -= timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def ohlcv(symbol: str, day: date, step: int = 0) -> dict[str, Decimal | int]:
    """Open/high/low/close/volume for one bar."""
    close = price_on(symbol, day, step)
    open_ = price_on(symbol, day, step - 1)
    spread = (close * Decimal("0.004")).quantize(_CENT4)
    volume = 10_000 + _seed(symbol, f"v{day}{step}") % 5_000_000
    return {
        "open": open_,
        "high": max(open_, close) + spread,
        "low": min(open_, close) - spread,
        "close": close,
        "volume": volume,
    }


def finnhub_quote(symbol: str, now: datetime) -> dict[str, Any]:
    day = last_trading_day(now)
    bar = ohlcv(symbol, day)
    previous = price_on(symbol, trading_days(day - timedelta(days=1), 1)[0])
    close = Decimal(bar["close"])
    change = close - previous
    return {
        "c": float(close),
        "d": float(change.quantize(_CENT4)),
        "dp": float((change / previous * 100).quantize(_CENT4)),
        "h": float(bar["high"]),
        "l": float(bar["low"]),
        "o": float(bar["open"]),
        "pc": float(previous),
        "t": int(min(now, datetime.combine(day, time(16), _EASTERN)).timestamp()),
    }


def news_items(symbol: str | None, now: datetime, count: int = 5) -> list[dict[str, Any]]:
    """Generic news items (provider-neutral fields)."""
    subject = symbol or "markets"
    out = []
    for n in range(count):
        when = now - timedelta(hours=3 * n + 1)
        out.append(
            {
                "n": n,
                "id": _seed(subject, f"news{n}") % 90_000_000 + 10_000_000,
                "headline": f"{subject}: market update {n + 1}",
                "summary": f"What moved {subject} in the session, part {n + 1}.",
                "url": f"https://news.example.org/{subject.lower()}/{n + 1}",
                "source": ("Reuters", "Benzinga", "CNBC")[n % 3],
                "published": when.astimezone(UTC),
                "sentiment": round(((_seed(subject, f"s{n}") % 200) - 100) / 250, 6),
            }
        )
    return out
