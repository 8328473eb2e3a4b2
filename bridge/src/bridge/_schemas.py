"""Request and response schemas of the bridge's own resources (health, logs, conversions).

Market-data and alert models come from their packages; the ``*Public`` names here are what the
OpenAPI document shows PHP developers.
"""

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from alerts import Notification
from bridge._errors import ErrorDetail
from logkit import AnalysisReport
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


MAX_LOG_ITEMS = 5000
MAX_LOG_LINE = 64 * 1024


class LogEventCreate(StrictModel):
    """One structured log event (as the WordPress plugin's ``switchyard_log`` action sends)."""

    level: str = Field("info", max_length=32, description="debug … critical; PHP words too.")
    message: str = Field(max_length=MAX_LOG_LINE)
    context: dict[str, Any] | list[Any] = Field(
        default_factory=dict,
        description="Extra fields. An empty PHP array (`[]`) is accepted as no context.",
    )
    timestamp: str | None = Field(None, max_length=64, description="ISO-8601, UTC.")


class LogBatchCreate(StrictModel):
    """A batch of raw PHP/WordPress log lines and/or structured events from one source."""

    source: str = Field(
        "wordpress", min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$"
    )
    lines: list[Annotated[str, Field(max_length=MAX_LOG_LINE)]] = Field(
        default_factory=list,
        max_length=MAX_LOG_ITEMS,
        description="Raw lines; multi-line stack traces are folded into their entry.",
    )
    events: list[LogEventCreate] = Field(default_factory=list, max_length=MAX_LOG_ITEMS)


class LogAnalysisPublic(AnalysisReport):
    """What the analyser learned from every batch: top and new templates, anomalies."""


class NotificationPublic(Notification):
    """One firing (or resolved) notice of a rule."""


class RuleTestPublic(BaseModel):
    """What a rule would send for the given (or recent) events; nothing is delivered."""

    rule_id: str
    explain: str
    events: int = Field(ge=0, description="How many events the rule was run over.")
    notifications: list[NotificationPublic]


class OutboxEntryPublic(BaseModel):
    """One delivery waiting in the outbox, or dead-lettered."""

    id: str
    target_kind: str
    target: str
    notification: NotificationPublic
    attempts: int
    available_at: float
    created_at: float
    reason: str | None = None
    dead_at: float | None = None


class OutboxPublic(BaseModel):
    """Deliveries not done yet, and those that finally failed."""

    pending: list[OutboxEntryPublic]
    dead: list[OutboxEntryPublic]


class AlertHistoryPublic(BaseModel):
    """Outbox history entries (accepted, delivered, failed, dead…), oldest first."""

    entries: list[dict[str, Any]]
