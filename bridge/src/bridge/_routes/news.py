"""``/v1/news``: latest news for one symbol or the market."""

from typing import Annotated, cast

from fastapi import APIRouter, Query
from fastapi.responses import Response

from bridge import _metrics
from bridge._deps import MarketDataDep
from bridge._schemas import NewsItemPublic, NewsPublic
from bridge._shared import MARKET_RESPONSES, SYMBOL_PATTERN, json_response

router = APIRouter(tags=["market data"], responses=MARKET_RESPONSES)


@router.get("/v1/news", response_model=NewsPublic, summary="Latest news")
async def get_news(
    marketdata: MarketDataDep,
    symbol: Annotated[
        str | None,
        Query(max_length=32, pattern=SYMBOL_PATTERN, description="Omit for market news."),
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> Response:
    """News items, newest first, at most ``limit``."""
    items = await marketdata.news(symbol, limit=limit)
    _metrics.MARKETDATA_CALLS.labels("news", "ok").inc()
    return json_response(
        NewsPublic.model_construct(items=cast("list[NewsItemPublic]", items)).model_dump_json()
    )
