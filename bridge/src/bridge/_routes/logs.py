"""``/v1/logs``: accept log batches at once (202), analyse them in the background."""

from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from bridge._deps import ServicesDep
from bridge._errors import ErrorPublic, error_response
from bridge._schemas import AcceptedPublic, LogAnalysisPublic, LogBatchCreate
from bridge._shared import json_response

router = APIRouter(tags=["logs"])

_BUSY: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorPublic, "description": "The batch exceeds the body limit."},
    429: {"model": ErrorPublic, "description": "The log queue is full; retry after Retry-After."},
}


@router.post(
    "/v1/logs",
    status_code=202,
    response_model=AcceptedPublic,
    responses=_BUSY,
    summary="Queue PHP log lines and structured events for analysis",
)
async def post_logs(batch: LogBatchCreate, services: ServicesDep) -> Response:
    """Answer 202 as soon as the batch is queued durably; parsing and analysis come after.

    Lines and events become ``log`` events on ``switchyard:events`` (for log-pattern alert
    rules); anomalies the analyser finds become ``anomaly`` events.
    """
    accepted = len(batch.lines) + len(batch.events)
    if accepted and not await services.logs_accept(batch):
        return error_response(
            429, "rate_limited", "log queue is full; retry later", {"Retry-After": "1"}
        )
    return json_response(AcceptedPublic(accepted=accepted).model_dump_json(), status_code=202)


@router.get(
    "/v1/logs/analysis",
    response_model=LogAnalysisPublic,
    summary="Top templates, new templates and anomalies",
)
async def get_analysis(services: ServicesDep) -> Response:
    """The analyser's latest report, shared by every worker."""
    report = await services.logs_report()
    return json_response(LogAnalysisPublic.model_validate(report).model_dump_json())
