"""``/v1/history/{symbol}``: bars of one symbol."""

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic import AfterValidator

from bridge import _metrics
from bridge._deps import ErrorMapDep, MarketDataDep
from bridge._routes.quotes import Symbol
from bridge._schemas import HistoryPublic
from bridge._shared import MARKET_RESPONSES, json_response

router = APIRouter(tags=["market data"], responses=MARKET_RESPONSES)

Range = Literal["1mo", "3mo", "6mo", "1y", "5y", "max"]
IntervalParam = Literal["1min", "5min", "15min", "30min", "60min", "1d", "1wk", "1mo"]
_RANGE_DAYS: dict[str, int | None] = {
    "1mo": 31,
    "3mo": 92,
    "6mo": 183,
    "1y": 366,
    "5y": 5 * 366,
    "max": None,
}


EARLIEST = dt.date(1970, 1, 2)


def _plausible(value: dt.date) -> dt.date:
    # Providers take Unix timestamps; a date before 1970 (or "0", which pydantic reads as the
    # epoch) can only be a mistake, and is answered 422 rather than sent upstream.
    if value < EARLIEST:
        raise ValueError(f"must be {EARLIEST.isoformat()} or later")
    return value


DateParam = Annotated[dt.date | None, AfterValidator(lambda v: v if v is None else _plausible(v))]


def range_start(range_: str, end: dt.date | None, today: dt.date) -> dt.date | None:
    """The first day a ``range`` covers, counted back from ``end`` (or today).

    Args:
        range_: one of ``1mo 3mo 6mo 1y 5y max``.
        end: the last day asked for, if any.
        today: today's UTC date.

    Returns:
        The start date, or None for ``max``.
    """
    days = _RANGE_DAYS[range_]
    if days is None:
        return None
    return (end or today) - dt.timedelta(days=days)


@router.get("/v1/history/{symbol}", response_model=HistoryPublic, summary="Bars of one symbol")
async def get_history(
    symbol: Symbol,
    marketdata: MarketDataDep,
    errors: ErrorMapDep,
    interval: IntervalParam = "1d",
    range_: Annotated[
        Range | None,
        Query(alias="range", description="How far back from `end` (ignored when `start` is set)."),
    ] = None,
    start: Annotated[DateParam, Query(description="First day, YYYY-MM-DD (UTC).")] = None,
    end: Annotated[DateParam, Query(description="Last day, YYYY-MM-DD (UTC).")] = None,
) -> Response:
    """Bars between ``start`` and ``end`` inclusive, oldest first."""
    if start is not None and end is not None and start > end:
        return errors.invalid(f"query.start: {start} is after end {end}")
    if start is None and range_ is not None:
        start = range_start(range_, end, dt.datetime.now(dt.UTC).date())
    history = await marketdata.history(symbol, interval, start, end)
    _metrics.MARKETDATA_CALLS.labels("history", "stale" if history.stale else "ok").inc()
    return json_response(history.model_dump_json())
