"""FastAPI dependencies as ``Annotated`` aliases, in one place.

Every dependency is ``async def``: FastAPI runs plain functions in a thread pool, a thread hop
per dependency per request that costs more than the work they do. The bearer token is checked
by `RequestContextMiddleware`, before routing, not by a dependency (see `_middleware.py`).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from bridge._errors import ErrorMap
from bridge._services import Services
from bridge._settings import Settings
from marketdata import AsyncMarketData


async def get_settings(request: Request) -> Settings:
    """The settings the application was created with."""
    settings: Settings = request.app.state.settings
    return settings


async def get_services(request: Request) -> Services:
    """The services started in the lifespan (store, market data, alerts, log pipeline)."""
    services: Services = request.app.state.services
    return services


SettingsDep = Annotated[Settings, Depends(get_settings)]
ServicesDep = Annotated[Services, Depends(get_services)]


async def get_marketdata(request: Request) -> AsyncMarketData:
    """The worker's one shared market-data client."""
    services: Services = request.app.state.services
    return services.marketdata


async def get_error_map(request: Request) -> ErrorMap:
    """The mapping of package errors to answers."""
    errors: ErrorMap = request.app.state.error_map
    return errors


MarketDataDep = Annotated[AsyncMarketData, Depends(get_marketdata)]
ErrorMapDep = Annotated[ErrorMap, Depends(get_error_map)]
