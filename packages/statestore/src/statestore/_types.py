"""Plain value types returned by the stores."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class RateDecision:
    """The answer of a sliding-window rate limiter.

    Attributes:
        allowed: whether this hit was admitted (for ``peek``: whether a hit of cost 1 would be).
        remaining: how many units are still free in the current window after this decision.
        retry_after: seconds until a hit of the same cost could be admitted; 0.0 when allowed.
    """

    allowed: bool
    remaining: int
    retry_after: float


@dataclass(frozen=True, slots=True)
class QueueItem:
    """One item of a durable queue.

    Attributes:
        id: the caller's id; unique within the queue (used for deduplication).
        payload: the opaque bytes given to ``enqueue`` (or the last ``retry``).
        attempts: how many times the item has been claimed, this claim included.
        available_at: unix time from which the item may be claimed.
        leased_until: unix time at which the current lease expires, ``None`` when not leased.
    """

    id: str
    payload: bytes
    attempts: int
    available_at: float
    leased_until: float | None = None


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """An item moved to the dead-letter list by ``store.dead``.

    Attributes:
        id: the item's id.
        payload: its last payload.
        attempts: how many times it was claimed.
        reason: the reason given to ``dead``.
        dead_at: unix time it was moved.
    """

    id: str
    payload: bytes
    attempts: int
    reason: str
    dead_at: float


@dataclass(frozen=True, slots=True)
class QueueStats:
    """Counts of one queue: ready/leased items waiting, and dead letters."""

    pending: int
    leased: int
    dead: int


@dataclass(frozen=True, slots=True)
class StoreInfo:
    """What ``store.info()`` reports: the backend, where it lives and the sizes it holds.

    ``location`` never contains a password (Redis URLs are masked).
    """

    backend: str
    location: str
    streams: dict[str, int] = field(default_factory=dict)
    queues: dict[str, QueueStats] = field(default_factory=dict)
