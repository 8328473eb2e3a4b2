"""Request and response schemas of the bridge's own resources (health, logs, conversions).

Market-data and alert models come from their packages; the ``*Public`` names here are what the
OpenAPI document shows PHP developers.
"""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from bridge._errors import ErrorDetail
from marketdata import Bar, History, NewsItem, Profile, Quote, SymbolMatch

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


class QuotePublic(Quote):
    """The latest price of one symbol; decimals are strings, ``stale`` marks cached data."""


class BarPublic(Bar):
    """One bar: UTC start, open/high/low/close (strings) and volume."""


class HistoryPublic(History):
    """Bars of one symbol, oldest first."""

    bars: list[BarPublic]  # type: ignore[assignment]


class NewsItemPublic(NewsItem):
    """One news article."""


class ProfilePublic(Profile):
    """A company profile."""


class SymbolMatchPublic(SymbolMatch):
    """One symbol search result."""


class QuotesPublic(BaseModel):
    """Quotes of several symbols; the symbols that failed are in ``errors`` with their code."""

    quotes: list[QuotePublic]
    errors: dict[str, ErrorDetail]


class NewsPublic(BaseModel):
    """News items, newest first."""

    items: list[NewsItemPublic]


class SearchPublic(BaseModel):
    """Symbol search results, best first."""

    matches: list[SymbolMatchPublic]
