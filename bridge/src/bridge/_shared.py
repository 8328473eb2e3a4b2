"""Small pieces the routers share: error response tables, raw JSON answers, patterns."""

from __future__ import annotations

from typing import Any

from fastapi.responses import Response

from bridge._errors import ErrorPublic

SYMBOL_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9.\-:^=_/]{0,31}$"

MARKET_RESPONSES: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "Unknown symbol (`unknown_symbol`)."},
    429: {
        "model": ErrorPublic,
        "description": "Every provider budget is spent (`rate_limited`); see Retry-After.",
        "headers": {"Retry-After": {"schema": {"type": "integer"}, "description": "Seconds."}},
    },
    503: {
        "model": ErrorPublic,
        "description": "No provider answered and nothing is cached (`provider_unavailable`).",
    },
}


def json_response(text: str | bytes, status_code: int = 200) -> Response:
    """An already-serialised JSON body (skips FastAPI's second validation on hot paths)."""
    return Response(content=text, status_code=status_code, media_type="application/json")
