"""``GET /metrics``: Prometheus text, aggregated over every worker."""

from fastapi import APIRouter
from fastapi.responses import Response

from bridge import _metrics
from bridge._deps import ServicesDep

router = APIRouter(tags=["metrics"])


@router.get(
    "/metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {"schema": {"type": "string"}}}}},
    summary="Prometheus metrics",
)
async def metrics(services: ServicesDep) -> Response:
    """Requests, latencies, market-data cache and upstream calls, alerts and deliveries."""
    try:
        stats = await services.marketdata.stats()
    except Exception:  # metrics must answer even when the store is down
        stats = {}
    body, content_type = _metrics.render(_metrics.MarketDataCollector(stats))
    return Response(body, media_type=content_type)
