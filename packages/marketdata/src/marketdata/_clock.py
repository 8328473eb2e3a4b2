"""Market-time helpers: US/Eastern conversions (DST-correct) and US market hours."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

EASTERN = ZoneInfo("America/New_York")
_OPEN = time(9, 30)
_CLOSE = time(16, 0)


def eastern_to_utc(naive: datetime, zone: str = "US/Eastern") -> datetime:
    """Interpret a naive provider timestamp in ``zone`` and return it in UTC.

    Args:
        naive: A wall-clock time without tzinfo (Alpha Vantage's ``2020-05-08 14:05:00``).
        zone: The IANA zone the provider names (``US/Eastern``).

    Returns:
        The aware UTC instant (EST or EDT applied as of that date).
    """
    try:
        tz = ZoneInfo(zone)
    except (KeyError, ValueError):
        tz = EASTERN
    return naive.replace(tzinfo=tz).astimezone(UTC)


def midnight_utc(day: date) -> datetime:
    """00:00 UTC of ``day`` (how daily bars are stamped, as Finnhub does)."""
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def is_market_open(now: datetime) -> bool:
    """Whether US equity markets are in their regular session (holidays not modelled).

    Args:
        now: An aware instant.

    Returns:
        True on weekdays between 09:30 and 16:00 New York time.
    """
    local = now.astimezone(EASTERN)
    return local.weekday() < 5 and _OPEN <= local.time() < _CLOSE


def next_close(now: datetime) -> datetime:
    """The next regular-session close (16:00 New York) strictly after ``now``, in UTC."""
    local = now.astimezone(EASTERN)
    day = local.date()
    while True:
        candidate = datetime.combine(day, _CLOSE, tzinfo=EASTERN)
        if day.weekday() < 5 and candidate > local:
            return candidate.astimezone(UTC)
        day += timedelta(days=1)


def close_of(day: date) -> datetime:
    """16:00 New York on ``day``, in UTC."""
    return datetime.combine(day, _CLOSE, tzinfo=EASTERN).astimezone(UTC)
