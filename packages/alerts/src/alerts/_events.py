"""The engine's own small event types and the parser for the shared stream's JSON payloads.

``alerts`` does not import ``marketdata`` or ``logkit``: producers publish JSON on the stream
``switchyard:events`` (format in CONTRACTS.md) and :func:`parse_event` turns one payload into a
:class:`Tick`, :class:`LogEvent`, :class:`Anomaly` or :class:`HealthEvent`.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

__all__ = ["Anomaly", "Event", "HealthEvent", "LogEvent", "Tick", "parse_event"]

EVENTS_STREAM = "switchyard:events"


#: Epoch numbers above this are milliseconds (1e11 s is the year 5138).
_MS_EPOCH = 1e11
#: Largest magnitude accepted for a price or volume (10^15): beyond is a feed bug, and huge
#: exponents would overflow the decimal arithmetic of move and volume rules.
_MAX_ADJUSTED = 15


def _parse_time(value: Any) -> datetime:
    """ISO-8601 (no zone: UTC), or unix seconds / milliseconds; absent: now.

    Raises:
        ValueError: anything else, or a time out of range.
    """
    if value is None or value == "":
        return datetime.now(tz=UTC)
    if isinstance(value, datetime):
        return value if value.tzinfo else value.replace(tzinfo=UTC)
    try:
        if isinstance(value, int | float) and not isinstance(value, bool):
            seconds = float(value) / 1000 if abs(value) > _MS_EPOCH else float(value)
            return datetime.fromtimestamp(seconds, tz=UTC)
        if isinstance(value, str):
            parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
            return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
    except (ValueError, OverflowError, OSError) as exc:
        raise ValueError(f"bad timestamp {value!r}: {exc}") from None
    raise ValueError(f"bad timestamp {value!r}")


def _text(data: dict[str, Any], name: str, default: str = "") -> str:
    """A string field (numbers are accepted as text); objects and lists are refused."""
    value = data.get(name)
    if value is None or value == "":
        return default
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} must be a string: {value!r}")
    return str(value)


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
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"{name} is not a number: {value!r}")
    try:
        result = Decimal(str(value).strip())
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"{name} is not a number: {value!r}") from exc
    if not result.is_finite():
        raise ValueError(f"{name} is not finite: {value!r}")
    if result and result.adjusted() > _MAX_ADJUSTED:
        raise ValueError(f"{name} is out of range: {value!r}")
    return result


def _finite(value: Any, name: str) -> float:
    if value is None or value == "":
        return 0.0
    try:
        if isinstance(value, bool):
            raise TypeError
        number = float(value)
    except (ValueError, TypeError):
        raise ValueError(f"{name} is not a number: {value!r}") from None
    if not math.isfinite(number):
        raise ValueError(f"{name} is not finite: {value!r}")
    return number


def _samples(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list | tuple):
        raise ValueError(f"samples must be a list: {value!r}")
    return tuple(str(s) for s in value)


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
        symbol = _text(data, "symbol").strip().upper()
        if not symbol:
            raise ValueError("tick without symbol")
        price = _decimal(data.get("price"), "price")
        if price <= 0:  # Finnhub answers 0 before the open; no listed price is <= 0
            raise ValueError(f"price must be positive: {data.get('price')!r}")
        raw_volume = data.get("volume")
        volume = None if raw_volume is None else _decimal(raw_volume, "volume")
        if volume is not None and volume < 0:
            raise ValueError(f"volume must not be negative: {raw_volume!r}")
        return Tick(
            symbol=symbol,
            price=price,
            volume=volume,
            timestamp=ts,
            provider=_text(data, "provider"),
            source=_text(data, "source"),
            id=eid,
        )
    if kind == "log":
        return LogEvent(
            source=_text(data, "source"),
            level=_text(data, "level", "info").lower(),
            message=_text(data, "message"),
            template_id=_text(data, "template_id"),
            template=_text(data, "template"),
            timestamp=ts,
            id=eid,
        )
    if kind == "anomaly":
        return Anomaly(
            kind=_text(data, "kind"),
            source=_text(data, "source"),
            template_id=_text(data, "template_id"),
            template=_text(data, "template"),
            count=int(_finite(data.get("count"), "count")),
            baseline=_finite(data.get("baseline"), "baseline"),
            samples=_samples(data.get("samples")),
            timestamp=ts,
            id=eid,
        )
    if kind == "health":
        return HealthEvent(
            check=_text(data, "check"),
            status=_text(data, "status").lower(),
            detail=_text(data, "detail"),
            timestamp=ts,
            id=eid,
        )
    raise ValueError(f"unknown event type: {kind!r}")
