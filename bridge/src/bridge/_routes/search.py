"""``/v1/search``: find symbols by name or ticker."""

from typing import Annotated, cast

from fastapi import APIRouter, Query
from fastapi.responses import Response

from bridge import _metrics
from bridge._deps import MarketDataDep
from bridge._schemas import SearchPublic, SymbolMatchPublic
from bridge._shared import MARKET_RESPONSES, json_response

router = APIRouter(tags=["market data"], responses=MARKET_RESPONSES)


@router.get("/v1/search", response_model=SearchPublic, summary="Symbol search")
async def search(
    marketdata: MarketDataDep,
    q: Annotated[str, Query(min_length=1, max_length=100, description="Name or ticker.")],
) -> Response:
    """Matching symbols, best first."""
    matches = await marketdata.search(q)
    _metrics.MARKETDATA_CALLS.labels("search", "ok").inc()
    return json_response(
        SearchPublic.model_construct(
            matches=cast("list[SymbolMatchPublic]", matches)
        ).model_dump_json()
    )
