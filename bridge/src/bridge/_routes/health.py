"""``GET /v1/health``: the one route that needs no token."""

from fastapi import APIRouter
from fastapi.responses import JSONResponse

from bridge._deps import ServicesDep
from bridge._schemas import HealthPublic, OverallStatus
from bridge._version import __version__

router = APIRouter(tags=["health"])


def overall_status(statuses: set[str]) -> OverallStatus:
    """``fail`` when any check fails, ``degraded`` when any warns, else ``ok``."""
    if "fail" in statuses:
        return "fail"
    if "warn" in statuses:
        return "degraded"
    return "ok"


@router.get(
    "/v1/health",
    response_model=HealthPublic,
    responses={503: {"model": HealthPublic, "description": "A check failed."}},
    summary="Health of the bridge and what it depends on",
)
async def health(services: ServicesDep) -> JSONResponse:
    """Run the health checks; 200 when ok or degraded, 503 when a check fails."""
    checks = await services.health_checks()
    overall = overall_status({check.status for check in checks})
    body = HealthPublic(status=overall, version=__version__, checks=checks)
    return JSONResponse(body.model_dump(), status_code=503 if overall == "fail" else 200)
