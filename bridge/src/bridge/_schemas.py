"""Request and response schemas of the bridge's own resources (health, logs, conversions).

Market-data and alert models come from their packages; the ``*Public`` names here are what the
OpenAPI document shows PHP developers.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

CheckStatus = Literal["ok", "warn", "fail"]
OverallStatus = Literal["ok", "degraded", "fail"]


class CheckPublic(BaseModel):
    """One health check's outcome."""

    name: str
    status: CheckStatus
    detail: str


class HealthPublic(BaseModel):
    """The bridge's health: ``ok``, ``degraded`` (a check warns) or ``fail`` (answered 503)."""

    status: OverallStatus
    version: str
    checks: list[CheckPublic]


class StrictModel(BaseModel):
    """A request body that refuses unknown fields, so a typo is an error, not a silent no-op."""

    model_config = ConfigDict(extra="forbid")


class AcceptedPublic(BaseModel):
    """How many log lines and events were queued for analysis."""

    accepted: int = Field(ge=0)
