"""Fault sequences the emulators play back, one fault per upstream call."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any, Literal, cast, get_args

FaultKind = Literal[
    "slow",
    "status",
    "note",
    "information",
    "error_message",
    "malformed",
    "empty",
    "reset",
    "unknown",
]


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour for one upstream call.

    Build them with the class methods; ``endpoint`` restricts a fault to one Alpha Vantage
    ``function`` (``GLOBAL_QUOTE``) or Finnhub path (``quote``, ``stock/candle``).
    """

    kind: FaultKind
    seconds: float = 0.0
    status: int = 500
    retry_after: float | None = None
    body: bytes | None = None
    endpoint: str | None = None

    @classmethod
    def slow(cls, seconds: float, *, endpoint: str | None = None) -> Fault:
        """Answer normally, but only after ``seconds``."""
        return cls("slow", seconds=seconds, endpoint=endpoint)

    @classmethod
    def http(
        cls,
        status: int,
        *,
        retry_after: float | None = None,
        body: bytes | None = None,
        endpoint: str | None = None,
    ) -> Fault:
        """Answer with an HTTP status (500, 502, 503, 401, 403 ...) and the provider's body."""
        return cls("status", status=status, retry_after=retry_after, body=body, endpoint=endpoint)

    @classmethod
    def rate_limited(cls, retry_after: float | None = 1.0, *, endpoint: str | None = None) -> Fault:
        """HTTP 429 with ``Retry-After`` (Finnhub's JSON error body)."""
        return cls.http(429, retry_after=retry_after, endpoint=endpoint)

    @classmethod
    def note(cls, *, endpoint: str | None = None) -> Fault:
        """Alpha Vantage's HTTP-200 ``Note`` (per-minute throttle)."""
        return cls("note", endpoint=endpoint)

    @classmethod
    def information(cls, *, endpoint: str | None = None) -> Fault:
        """Alpha Vantage's HTTP-200 ``Information`` (daily limit / premium endpoint)."""
        return cls("information", endpoint=endpoint)

    @classmethod
    def error_message(cls, *, endpoint: str | None = None) -> Fault:
        """Alpha Vantage's HTTP-200 ``Error Message`` (invalid call)."""
        return cls("error_message", endpoint=endpoint)

    @classmethod
    def malformed(cls, *, endpoint: str | None = None) -> Fault:
        """HTTP 200 with a truncated JSON body."""
        return cls("malformed", endpoint=endpoint)

    @classmethod
    def empty(cls, *, endpoint: str | None = None) -> Fault:
        """HTTP 200 with an empty body."""
        return cls("empty", endpoint=endpoint)

    @classmethod
    def reset(cls, *, endpoint: str | None = None) -> Fault:
        """Close the connection abruptly (TCP RST) without answering."""
        return cls("reset", endpoint=endpoint)

    @classmethod
    def unknown(cls, *, endpoint: str | None = None) -> Fault:
        """Answer as for an unknown symbol (empty Global Quote, all-zero quote ...)."""
        return cls("unknown", endpoint=endpoint)

    def to_json(self) -> dict[str, Any]:
        """A JSON form (for ``POST /_emulator/faults``)."""
        out: dict[str, Any] = {"kind": self.kind}
        if self.seconds:
            out["seconds"] = self.seconds
        if self.kind == "status":
            out["status"] = self.status
        if self.retry_after is not None:
            out["retry_after"] = self.retry_after
        if self.endpoint:
            out["endpoint"] = self.endpoint
        return out

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Fault:
        """Parse the JSON form.

        Raises:
            ValueError: unknown kind or bad values.
        """
        kind = data.get("kind")
        if kind not in get_args(FaultKind):
            raise ValueError(f"unknown fault kind {kind!r}")
        retry = data.get("retry_after")
        return cls(
            kind=cast("FaultKind", kind),
            seconds=float(data.get("seconds", 0.0)),
            status=int(data.get("status", 500)),
            retry_after=float(retry) if retry is not None else None,
            endpoint=data.get("endpoint"),
        )


@dataclass
class FaultQueue:
    """A thread-safe FIFO of faults; each is consumed by the first call it matches."""

    _items: list[Fault] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def push(self, *faults: Fault, times: int = 1) -> None:
        """Append ``faults`` (the whole sequence ``times`` times)."""
        with self._lock:
            for _ in range(times):
                self._items.extend(faults)

    def take(self, endpoint: str) -> Fault | None:
        """Remove and return the first fault matching ``endpoint``."""
        with self._lock:
            for index, fault in enumerate(self._items):
                if fault.endpoint in (None, endpoint):
                    return self._items.pop(index)
        return None

    def clear(self) -> None:
        """Drop every pending fault."""
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)
