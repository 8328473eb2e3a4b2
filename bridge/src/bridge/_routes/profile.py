"""``/v1/profile/{symbol}``: a company profile."""

from fastapi import APIRouter
from fastapi.responses import Response

from bridge import _metrics
from bridge._deps import MarketDataDep
from bridge._routes.quotes import Symbol
from bridge._schemas import ProfilePublic
from bridge._shared import MARKET_RESPONSES, json_response

router = APIRouter(tags=["market data"], responses=MARKET_RESPONSES)


@router.get("/v1/profile/{symbol}", response_model=ProfilePublic, summary="Company profile")
async def get_profile(symbol: Symbol, marketdata: MarketDataDep) -> Response:
    """Name, exchange, currency, industry, market cap and more."""
    profile = await marketdata.profile(symbol)
    _metrics.MARKETDATA_CALLS.labels("profile", "ok").inc()
    return json_response(profile.model_dump_json())
