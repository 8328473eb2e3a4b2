"""Rule models: one pydantic model per rule kind, a discriminated union over ``kind``.

Durations are seconds (a number) or a string such as ``"90s"``, ``"5m"``, ``"1h30m"``, ``"2d"``.
"""

from __future__ import annotations

import re
from datetime import datetime, time
from decimal import Decimal
from typing import Annotated, Any, ClassVar, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    field_validator,
    model_validator,
)

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)")
_UNITS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}
_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
LOG_LEVELS = ("debug", "info", "notice", "warning", "error", "critical", "alert", "emergency")


def parse_duration(value: Any) -> float:
    """Parse seconds or a duration string (``"90s"``, ``"5m"``, ``"1h30m"``) into seconds.

    Args:
        value: a number of seconds or a string of number+unit pairs (ms, s, m, h, d, w).

    Returns:
        The duration in seconds (never negative).

    Raises:
        ValueError: the value is not a duration.

    Example:
        >>> parse_duration("1h30m")
        5400.0
    """
    if isinstance(value, bool):
        raise ValueError("a duration is a number of seconds or a string like '5m'")
    if isinstance(value, int | float | Decimal):
        seconds = float(value)
    elif isinstance(value, str):
        text = value.strip().lower().replace(" ", "")
        try:
            seconds = float(text)
        except ValueError:
            pos, seconds = 0, 0.0
            for match in _DURATION.finditer(text):
                if match.start() != pos:
                    break
                seconds += float(match.group(1)) * _UNITS[match.group(2)]
                pos = match.end()
            if pos != len(text) or not text:
                raise ValueError(f"not a duration: {value!r} (use e.g. 30s, 5m, 1h30m)") from None
    else:
        raise ValueError("a duration is a number of seconds or a string like '5m'")
    if seconds < 0:
        raise ValueError("a duration cannot be negative")
    return seconds


Duration = Annotated[float, BeforeValidator(parse_duration)]
Symbol = Annotated[str, BeforeValidator(lambda v: v.strip().upper() if isinstance(v, str) else v)]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)


class Trigger(_Model):
    """How often a rule may notify.

    ``every``: each time the rule starts firing (or each occurrence of an instant rule), but never
    twice within ``cooldown``. ``once``: the first firing only, then the rule is spent until it is
    updated or reset. ``interval``: at most once per ``interval``, and a rule that keeps firing is
    re-notified every ``interval``.
    """

    mode: Literal["once", "interval", "every"] = "every"
    interval: Duration | None = None
    cooldown: Duration = 0.0

    @model_validator(mode="after")
    def _interval_needed(self) -> Trigger:
        if self.mode == "interval" and not self.interval:
            raise ValueError("mode 'interval' needs interval > 0 (e.g. interval = '15m')")
        return self


class Schedule(_Model):
    """When a rule is active, in its own IANA time zone (e.g. trading hours).

    ``start``/``end`` are local wall-clock times; ``end`` before ``start`` spans midnight.
    """

    timezone: str = "UTC"
    days: tuple[Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"], ...] = (
        "mon",
        "tue",
        "wed",
        "thu",
        "fri",
    )
    start: time = time(0, 0)
    end: time = time(23, 59, 59, 999999)

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"unknown IANA time zone {value!r}") from exc
        return value

    @field_validator("days", mode="before")
    @classmethod
    def _lower_days(cls, value: Any) -> Any:
        if isinstance(value, list | tuple):
            return tuple(str(d).strip().lower()[:3] for d in value)
        return value

    def active_at(self, moment: datetime) -> bool:
        """Return whether the schedule is open at ``moment`` (an aware datetime).

        Args:
            moment: the instant to test; converted to the schedule's zone.

        Returns:
            True when the local weekday is listed and the local time is within start-end.
        """
        local = moment.astimezone(ZoneInfo(self.timezone))
        now_t = local.time().replace(tzinfo=None)
        if self.start <= self.end:
            day = local.weekday()
            return _DAYS[day] in self.days and self.start <= now_t <= self.end
        # Spans midnight: the part after midnight belongs to the previous day's session.
        if now_t >= self.start:
            return _DAYS[local.weekday()] in self.days
        if now_t <= self.end:
            return _DAYS[(local.weekday() - 1) % 7] in self.days
        return False


class _RuleBase(_Model):
    id: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.:@-]{0,127}$")
    name: str = ""
    description: str = ""
    severity: Literal["info", "warning", "critical"] = "warning"
    enabled: bool = True
    channels: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    for_: Duration = Field(default=0.0, alias="for")
    keep_firing_for: Duration = 0.0
    trigger: Trigger = Trigger()
    notify_resolved: bool = False
    schedule: Schedule | None = None
    labels: dict[str, str] = Field(default_factory=dict)

    #: Instant rules fire on an occurrence (a crossing, a log line); level rules hold a condition.
    instant: ClassVar[bool] = False

    @property
    def title(self) -> str:
        """The rule's name, or its id when it has none."""
        return self.name or self.id


class _Instant(_RuleBase):
    instant: ClassVar[bool] = True

    @field_validator("for_")
    @classmethod
    def _no_for(cls, value: float) -> float:
        if value:
            raise ValueError("'for' applies to level rules only; this rule fires on an occurrence")
        return value


class PriceAboveRule(_RuleBase):
    """Firing while the last price of ``symbol`` is above ``threshold``."""

    kind: Literal["price_above"]
    symbol: Symbol
    threshold: Decimal


class PriceBelowRule(_RuleBase):
    """Firing while the last price of ``symbol`` is below ``threshold``."""

    kind: Literal["price_below"]
    symbol: Symbol
    threshold: Decimal


class CrossingRule(_Instant):
    """Fires when the price crosses ``level``: up: below to at-or-above; down: reverse."""

    kind: Literal["cross_up", "cross_down"]
    symbol: Symbol
    level: Decimal


class PriceChannelRule(_Instant):
    """Fires when the price enters (or exits) the closed band ``[lower, upper]``."""

    kind: Literal["channel_enter", "channel_exit"]
    symbol: Symbol
    lower: Decimal
    upper: Decimal

    @model_validator(mode="after")
    def _ordered(self) -> PriceChannelRule:
        if self.lower >= self.upper:
            raise ValueError("lower must be below upper")
        return self


class MoveRule(_RuleBase):
    """Firing while the price moved by ``percent`` % or ``amount`` units within ``window``."""

    kind: Literal["move"]
    symbol: Symbol
    window: Duration
    percent: Decimal | None = Field(default=None, gt=0)
    amount: Decimal | None = Field(default=None, gt=0)
    direction: Literal["up", "down", "any"] = "any"

    @model_validator(mode="after")
    def _one_measure(self) -> MoveRule:
        if (self.percent is None) == (self.amount is None):
            raise ValueError("give exactly one of percent or amount")
        if self.window <= 0:
            raise ValueError("window must be positive")
        return self


class VolumeSpikeRule(_RuleBase):
    """Firing while a tick's volume is at least ``factor`` x the mean of the last ``baseline``."""

    kind: Literal["volume_spike"]
    symbol: Symbol
    factor: float = Field(gt=0)
    baseline: int = Field(default=20, ge=1, le=10_000)
    min_samples: int = Field(default=5, ge=1)


class NoDataRule(_RuleBase):
    """Firing while no tick for ``symbol`` arrived for ``period``."""

    kind: Literal["no_data"]
    symbol: Symbol
    period: Duration = Field(gt=0)


def _check_regex(value: str | None) -> str | None:
    if value is not None:
        try:
            re.compile(value)
        except re.error as exc:
            raise ValueError(f"invalid regular expression: {exc}") from exc
    return value


Level = Literal["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"]


class LogPatternRule(_Instant):
    """Fires on each log event whose message matches ``pattern`` (a regular expression)."""

    kind: Literal["log_pattern"]
    pattern: str
    source: str | None = None
    min_level: Level | None = None
    template_id: str | None = None

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


class LogFrequencyRule(_RuleBase):
    """Firing while at least ``count`` matching log events arrived within ``window``."""

    kind: Literal["log_frequency"]
    count: int = Field(ge=1)
    window: Duration = Field(gt=0)
    pattern: str | None = None
    source: str | None = None
    min_level: Level | None = None
    template_id: str | None = None

    @field_validator("pattern")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return _check_regex(value)


class NewTemplateRule(_Instant):
    """Fires once per log template never seen before (log event or new_template anomaly)."""

    kind: Literal["new_template"]
    source: str | None = None


class AnomalyRule(_Instant):
    """Fires on each anomaly of the given kinds (from the log analyser)."""

    kind: Literal["anomaly"]
    kinds: tuple[Literal["new_template", "rate_spike", "error_burst"], ...] = (
        "new_template",
        "rate_spike",
        "error_burst",
    )
    source: str | None = None
    min_count: int = Field(default=0, ge=0)


class HealthRule(_RuleBase):
    """Firing while the health check ``check`` (any when absent) reports a ``statuses``."""

    kind: Literal["health"]
    check: str | None = None
    statuses: tuple[Literal["warn", "fail"], ...] = ("fail",)


Rule = Annotated[
    PriceAboveRule
    | PriceBelowRule
    | CrossingRule
    | PriceChannelRule
    | MoveRule
    | VolumeSpikeRule
    | NoDataRule
    | LogPatternRule
    | LogFrequencyRule
    | NewTemplateRule
    | AnomalyRule
    | HealthRule,
    Field(discriminator="kind"),
]

RULE_ADAPTER: TypeAdapter[Rule] = TypeAdapter(Rule)

RULE_KINDS = (
    "price_above",
    "price_below",
    "cross_up",
    "cross_down",
    "channel_enter",
    "channel_exit",
    "move",
    "volume_spike",
    "no_data",
    "log_pattern",
    "log_frequency",
    "new_template",
    "anomaly",
    "health",
)


def rule_from_dict(data: dict[str, Any]) -> Rule:
    """Validate one rule given as a dict (as in JSON).

    Args:
        data: the rule's fields, ``kind`` included.

    Returns:
        The validated rule model.

    Raises:
        pydantic.ValidationError: the rule is invalid (use :func:`alerts.parse_rules` for
            errors with line numbers).
    """
    return RULE_ADAPTER.validate_python(data)


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """Return the JSON-ready dict form of a rule (``for`` spelled as in files)."""
    return rule.model_dump(mode="json", by_alias=True, exclude_defaults=False)


def _dur(seconds: float) -> str:
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size and seconds % size == 0:
            return f"{seconds / size:g}{unit}"
    return f"{seconds:g}s"


def explain(rule: Rule) -> str:
    """Describe in one sentence what a rule does (``alerts check`` prints it).

    Example:
        >>> explain(rule_from_dict({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 150}))
        'fires when IBM crosses up through 150; notifies every time'
    """
    what: str
    if isinstance(rule, PriceAboveRule):
        what = f"firing while {rule.symbol} trades above {rule.threshold}"
    elif isinstance(rule, PriceBelowRule):
        what = f"firing while {rule.symbol} trades below {rule.threshold}"
    elif isinstance(rule, CrossingRule):
        word = "up" if rule.kind == "cross_up" else "down"
        what = f"fires when {rule.symbol} crosses {word} through {rule.level}"
    elif isinstance(rule, PriceChannelRule):
        word = "enters" if rule.kind == "channel_enter" else "leaves"
        what = f"fires when {rule.symbol} {word} the band {rule.lower}..{rule.upper}"
    elif isinstance(rule, MoveRule):
        size = f"{rule.percent}%" if rule.percent is not None else f"{rule.amount}"
        within = _dur(rule.window)
        what = f"firing while {rule.symbol} moved {rule.direction} by {size} within {within}"
    elif isinstance(rule, VolumeSpikeRule):
        what = (
            f"firing while a {rule.symbol} tick's volume is >= {rule.factor:g}x the mean of the "
            f"last {rule.baseline} ticks"
        )
    elif isinstance(rule, NoDataRule):
        what = f"firing while no tick for {rule.symbol} arrived for {_dur(rule.period)}"
    elif isinstance(rule, LogPatternRule):
        what = f"fires on each {rule.source or 'any-source'} log line matching /{rule.pattern}/"
    elif isinstance(rule, LogFrequencyRule):
        what = f"firing while >= {rule.count} matching log lines arrived within {_dur(rule.window)}"
    elif isinstance(rule, NewTemplateRule):
        what = f"fires once per new log template from {rule.source or 'any source'}"
    elif isinstance(rule, AnomalyRule):
        what = f"fires on {'/'.join(rule.kinds)} anomalies from {rule.source or 'any source'}"
    else:
        what = f"firing while health check {rule.check or '(any)'} is {'/'.join(rule.statuses)}"
    parts = [what]
    if rule.for_:
        parts.append(f"after holding {_dur(rule.for_)}")
    if rule.keep_firing_for:
        parts.append(f"keeps firing {_dur(rule.keep_firing_for)} after it clears")
    mode = rule.trigger.mode
    if mode == "once":
        parts.append("notifies once")
    elif mode == "interval":
        parts.append(f"notifies at most once per {_dur(rule.trigger.interval or 0)}")
    else:
        parts.append("notifies every time")
    if rule.trigger.cooldown:
        parts[-1] += f" (cooldown {_dur(rule.trigger.cooldown)})"
    if rule.notify_resolved:
        parts.append("and when resolved")
    if rule.schedule is not None:
        s = rule.schedule
        parts.append(f"only {','.join(s.days)} {s.start:%H:%M}-{s.end:%H:%M} {s.timezone}")
    if not rule.enabled:
        parts.append("(disabled)")
    return "; ".join(parts)
