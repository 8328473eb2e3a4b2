"""What the engine emits: a :class:`Notification`, and the per-rule :class:`RuleState`."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class Notification(BaseModel):
    """One firing (or resolved) notice of one rule, ready for the outbox.

    Attributes:
        id: the idempotency key: a hash of (rule id, rule revision, firing id, status, repeat).
            The same firing seen by several engine processes, or replayed after a crash, gets the
            same id, so the outbox keeps it once and receivers can de-duplicate on it.
        rule_id: the rule that fired.
        status: ``firing`` or ``resolved``.
        summary: one human line, e.g. ``IBM crossed up 150 (last 150.20)``.
        firing_id: the id of the event that started the firing episode.
        channels: names of the channels to deliver to; actions: names of actions to run.
    """

    model_config = ConfigDict(frozen=True)

    id: str
    rule_id: str
    rule_name: str
    kind: str
    status: Literal["firing", "resolved"]
    severity: str = "warning"
    summary: str
    symbol: str | None = None
    value: str | None = None
    firing_id: str
    event_id: str | None = None
    repeat: int = 0
    at: datetime
    labels: dict[str, str] = Field(default_factory=dict)
    channels: tuple[str, ...] = ()
    actions: tuple[str, ...] = ()
    details: dict[str, Any] = Field(default_factory=dict)

    @property
    def title(self) -> str:
        """A short title: ``[FIRING] name`` or ``[RESOLVED] name``."""
        return f"[{self.status.upper()}] {self.rule_name}"


def notification_id(rule_id: str, revision: str, firing_id: str, status: str, repeat: int) -> str:
    """Return the idempotency key of a notification (stable across processes and restarts)."""
    raw = f"{rule_id}\x1f{revision}\x1f{firing_id}\x1f{status}\x1f{repeat}"
    return "ntf_" + hashlib.sha256(raw.encode()).hexdigest()[:32]


def utc(ts: float) -> datetime:
    """Return the aware UTC datetime of a unix timestamp."""
    return datetime.fromtimestamp(ts, tz=UTC)


@dataclass(slots=True)
class RuleState:
    """The evaluation state of one rule; persisted so it survives a restart.

    ``status`` is ``inactive``, ``pending`` (condition holds, waiting ``for``) or ``firing``.
    """

    status: Literal["inactive", "pending", "firing"] = "inactive"
    cond: bool = False
    since: float = 0.0
    cleared_at: float = 0.0
    episode: str = ""
    value: str | None = None
    last_notified: float | None = None
    notified_episode: bool = False
    muted: bool = False
    spent: bool = False
    repeats: int = 0
    fired: int = 0
    suppressed: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """Return a JSON-ready dict."""
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RuleState:
        """Rebuild a state saved with :meth:`to_json` (unknown keys ignored)."""
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)

    @property
    def is_default(self) -> bool:
        """True when nothing worth saving has happened to this rule."""
        return self == RuleState()
