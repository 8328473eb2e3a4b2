"""FastAPI dependencies as ``Annotated`` aliases, in one place."""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from starlette.exceptions import HTTPException

from bridge._errors import ErrorMap
from bridge._services import Services
from bridge._settings import Settings
from marketdata import AsyncMarketData

_bearer = HTTPBearer(
    auto_error=False,
    description="The bridge token: BRIDGE_TOKEN, or the file `bridge token --path` names.",
)


async def require_token(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> None:
    """Refuse the request unless it carries ``Authorization: Bearer <the token>``.

    The comparison takes the same time whatever the offered token is.

    Raises:
        HTTPException: 401 with ``WWW-Authenticate: Bearer`` when the token is missing or wrong.
    """
    expected: bytes = request.app.state.token
    offered = credentials.credentials.encode("utf-8", "replace") if credentials else b""
    if not hmac.compare_digest(offered, expected):
        reason = "wrong bearer token" if credentials else "missing bearer token"
        raise HTTPException(401, reason, headers={"WWW-Authenticate": "Bearer"})


def get_settings(request: Request) -> Settings:
    """The settings the application was created with."""
    settings: Settings = request.app.state.settings
    return settings


def get_services(request: Request) -> Services:
    """The services started in the lifespan (store, market data, alerts, log pipeline)."""
    services: Services = request.app.state.services
    return services


Authorized = Depends(require_token)
SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]


def get_marketdata(request: Request) -> AsyncMarketData:
    """The worker's one shared market-data client."""
    return get_services(request).marketdata


def get_error_map(request: Request) -> ErrorMap:
    """The mapping of package errors to answers."""
    errors: ErrorMap = request.app.state.error_map
    return errors


MarketDataDep = Annotated[AsyncMarketData, Depends(get_marketdata)]
ErrorMapDep = Annotated[ErrorMap, Depends(get_error_map)]
