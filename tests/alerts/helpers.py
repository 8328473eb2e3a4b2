"""Small builders shared by the alerts tests."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from alerts import Notification, Rule, Tick, rule_from_dict


def rule(**fields: Any) -> Rule:
    """Build a rule; ``id`` defaults to ``r``."""
    fields.setdefault("id", "r")
    return rule_from_dict(fields)


def tick(symbol: str, price: str | float, volume: float | None = None, eid: str = "") -> Tick:
    """Build a tick."""
    vol = None if volume is None else Decimal(str(volume))
    return Tick(symbol, Decimal(str(price)), vol, id=eid)


def note(summary: str = "IBM crossed up 150 (last 150.5)", **fields: Any) -> Notification:
    """Build a notification."""
    base: dict[str, Any] = {
        "id": "ntf_test",
        "rule_id": "ibm-up",
        "rule_name": "IBM up",
        "kind": "cross_up",
        "status": "firing",
        "summary": summary,
        "firing_id": "1-0",
        "at": datetime(2026, 1, 5, 14, 31, 7, tzinfo=UTC),
    }
    base.update(fields)
    return Notification(**base)
