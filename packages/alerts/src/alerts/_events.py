"""The engine's own small event types and the parser for the shared stream's JSON payloads.

``alerts`` does not import ``marketdata`` or ``logkit``: producers publish JSON on the stream
``switchyard:events`` (format in CONTRACTS.md) and :func:`parse_event` turns one payload into a
:class:`Tick`, :class:`LogEvent`, :class:`Anomaly` or :class:`HealthEvent`.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["Anomaly", "Event", "HealthEvent", "LogEvent", "Tick", "parse_event"]

EVENTS_STREAM = "switchyard:events"


def _parse_time(value: Any) -> datetime:
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    if isinstance(value, int | float):
        return datetime.fromtimestamp(float(value), tz=UTC)
    if isinstance(value, str) and value:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    return datetime.now(tz=UTC)


def _digest(payload: dict[str, Any]) -> str:
    raw = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return "h" + hashlib.sha256(raw.encode()).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Tick:
    """A fresh price (and maybe volume) for one symbol.

    Attributes:
        symbol: upper-case ticker, e.g. ``IBM``.
        price: last price.
        volume: traded volume of this quote/trade, when known.
        timestamp: when the market saw it (UTC).
        id: event id (the stream id when read from the stream); used for idempotency keys.
    """

    symbol: str
    price: Decimal
    volume: Decimal | None = None
    timestamp: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    provider: str = ""
    source: str = ""
    id: str = ""

    type = "tick"

    def to_payload(self) -> dict[str, Any]:
        """Return the stream JSON form of this event."""
        return {
            "type": "tick",
            "symbol": self.symbol,
            "price": str(self.price),
            "volume": None if self.volume is None else str(self.volume),
            "timestamp": self.timestamp.isoformat().replace("+00:00", "Z"),
            "provider": self.provider,
            "source": self.source,
        }


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One log record (already parsed and templated by logkit upstream)."""

    source: str
    level: str
    message: str
    template_id: str = ""
    template: str = ""
    timestamp: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    id: str = ""

    type = "log"

    def to_payload(self) -> dict[str, Any]:
        """Return the stream JSON form of this event."""
        return {
            "type": "log",
            "source": self.source,
            "level": self.level,
            "message": self.message,
            "template_id": self.template_id,
            "template": self.template,
            "timestamp": self.timestamp.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True, slots=True)
class Anomaly:
    """An anomaly found by the log analyser: a new template, a rate spike or an error burst."""

    kind: str
    source: str
    template_id: str = ""
    template: str = ""
    count: int = 0
    baseline: float = 0.0
    samples: tuple[str, ...] = ()
    timestamp: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    id: str = ""

    type = "anomaly"

    def to_payload(self) -> dict[str, Any]:
        """Return the stream JSON form of this event."""
        return {
            "type": "anomaly",
            "kind": self.kind,
            "source": self.source,
            "template_id": self.template_id,
            "template": self.template,
            "count": self.count,
            "baseline": self.baseline,
            "samples": list(self.samples),
            "timestamp": self.timestamp.isoformat().replace("+00:00", "Z"),
        }


@dataclass(frozen=True, slots=True)
class HealthEvent:
    """The result of one health check: ``ok``, ``warn`` or ``fail``."""

    check: str
    status: str
    detail: str = ""
    timestamp: datetime = field(default_factory=lambda: datetime.now(tz=UTC))
    id: str = ""

    type = "health"

    def to_payload(self) -> dict[str, Any]:
        """Return the stream JSON form of this event."""
        return {
            "type": "health",
            "check": self.check,
            "status": self.status,
            "detail": self.detail,
            "timestamp": self.timestamp.isoformat().replace("+00:00", "Z"),
        }


Event = Tick | LogEvent | Anomaly | HealthEvent


def _decimal(value: Any, name: str) -> Decimal:
    try:
        result = Decimal(str(value))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{name} is not finite: {value!r}")
    return result


def parse_event(payload: bytes | str | dict[str, Any], event_id: str | None = None) -> Event:
    """Turn one JSON payload from the shared stream into an event.

    Args:
        payload: the JSON document (bytes, text or an already decoded dict).
        event_id: the stream id; when absent, a digest of the payload stands in, so the same
            payload always gets the same id (and the same idempotency keys downstream).

    Returns:
        A :class:`Tick`, :class:`LogEvent`, :class:`Anomaly` or :class:`HealthEvent`.

    Raises:
        ValueError: the payload is not JSON, has an unknown ``type`` or a malformed field.

    Example:
        >>> parse_event(b'{"type":"tick","symbol":"ibm","price":"1.5"}', "1-0").symbol
        'IBM'
    """
    if isinstance(payload, bytes | str):
        try:
            data = json.loads(payload)
        except json.JSONDecodeError as exc:
            raise ValueError(f"event is not JSON: {exc}") from exc
    else:
        data = payload
    if not isinstance(data, dict):
        raise ValueError("event must be a JSON object")
    kind = data.get("type")
    eid = event_id or str(data.get("id") or "") or _digest(data)
    ts = _parse_time(data.get("timestamp"))
    if kind == "tick":
        symbol = str(data.get("symbol") or "").strip().upper()
        if not symbol:
            raise ValueError("tick without symbol")
        volume = data.get("volume")
        return Tick(
            symbol=symbol,
            price=_decimal(data.get("price"), "price"),
            volume=None if volume is None else _decimal(volume, "volume"),
            timestamp=ts,
            provider=str(data.get("provider") or ""),
            source=str(data.get("source") or ""),
            id=eid,
        )
    if kind == "log":
        return LogEvent(
            source=str(data.get("source") or ""),
            level=str(data.get("level") or "info").lower(),
            message=str(data.get("message") or ""),
            template_id=str(data.get("template_id") or ""),
            template=str(data.get("template") or ""),
            timestamp=ts,
            id=eid,
        )
    if kind == "anomaly":
        return Anomaly(
            kind=str(data.get("kind") or ""),
            source=str(data.get("source") or ""),
            template_id=str(data.get("template_id") or ""),
            template=str(data.get("template") or ""),
            count=int(data.get("count") or 0),
            baseline=float(data.get("baseline") or 0.0),
            samples=tuple(str(s) for s in data.get("samples") or ()),
            timestamp=ts,
            id=eid,
        )
    if kind == "health":
        return HealthEvent(
            check=str(data.get("check") or ""),
            status=str(data.get("status") or "").lower(),
            detail=str(data.get("detail") or ""),
            timestamp=ts,
            id=eid,
        )
    raise ValueError(f"unknown event type: {kind!r}")
