"""The FastAPI application: routers, error handlers, middleware and the lifespan."""

from __future__ import annotations

import os
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI
from fastapi.responses import JSONResponse

import logkit
from bridge import _metrics
from bridge._errors import ErrorPublic, install_error_handlers
from bridge._middleware import RequestContextMiddleware
from bridge._openapi import install_openapi
from bridge._package_errors import build_error_map
from bridge._routes import (
    alerts,
    convert,
    health,
    history,
    logs,
    metrics,
    news,
    profile,
    quotes,
    search,
)
from bridge._services import Services
from bridge._settings import Settings
from bridge._token import load_or_create_token
from bridge._version import __version__

if TYPE_CHECKING:
    from collections.abc import AsyncIterator

    from pydantic import SecretStr

COMMON_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorPublic, "description": "Missing or wrong bearer token."},
    422: {"model": ErrorPublic, "description": "Invalid request; the message names the field."},
    500: {"model": ErrorPublic, "description": "Internal error; quote the request id."},
}

DESCRIPTION = """\
The loopback HTTP service WordPress calls: one API over every Switchyard package.

Every route but `GET /v1/health` needs `Authorization: Bearer <token>`. Errors always have the
shape `{"error": {"code": "...", "message": "..."}}`. `X-Request-ID` is accepted and echoed.
"""


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Start the services of this worker; stop them (and drop its live metrics) on shutdown."""
    settings: Settings = app.state.settings
    services = await Services.start(settings)
    app.state.services = services
    try:
        yield
    finally:
        await services.aclose()
        _metrics.mark_worker_dead(os.getpid())


def create_app(settings: Settings | None = None, *, token: SecretStr | None = None) -> FastAPI:
    """Build the bridge application.

    Args:
        settings: the configuration; read from the environment when None.
        token: the bearer token; by default ``settings.token`` or the generated token file.

    Returns:
        The ASGI application (serve it with uvicorn; the lifespan opens the state store).

    Raises:
        pydantic.ValidationError: the environment holds unsafe settings.
        TokenFileError: the token file is unsafe or cannot be created.
    """
    settings = settings or Settings()
    if token is None:
        token = load_or_create_token(settings.token_file, settings.token).token
    app = FastAPI(
        title="Switchyard bridge",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.token = token.get_secret_value().encode("utf-8")
    logkit.register_secret(token.get_secret_value())
    app.state.error_map = build_error_map()
    install_error_handlers(app, app.state.error_map)
    app.add_middleware(
        RequestContextMiddleware,
        token=app.state.token,
        max_body_bytes=settings.max_body_bytes,
        max_large_bytes=settings.max_convert_bytes,
        fast_quote=quotes.fast_quote,
        fast_symbol=quotes.FAST_SYMBOL,
        fast_label=quotes.FAST_ROUTE,
    )
    app.include_router(health.router)
    for router in (
        quotes.router,
        history.router,
        news.router,
        search.router,
        profile.router,
        convert.router,
        logs.router,
        alerts.router,
        metrics.router,
    ):
        app.include_router(router, responses=COMMON_RESPONSES)

    install_openapi(app)

    @app.get("/openapi.json", include_in_schema=False)
    async def openapi_document() -> JSONResponse:
        return JSONResponse(app.openapi())

    return app


def create_app_from_env() -> FastAPI:
    """The factory uvicorn workers call: settings from the environment ``bridge serve`` set."""
    settings = Settings()
    logkit.configure(
        level=settings.log_level.upper(),
        fmt="json" if settings.json_logs else "auto",
        file=settings.home / "logs" / "bridge.log",
    )
    return create_app(settings)
