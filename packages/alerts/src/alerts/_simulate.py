"""Dry runs: rules over a list of events on a fake clock, nothing stored or sent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from alerts._engine import Engine

if TYPE_CHECKING:
    from collections.abc import Iterable

    from alerts._events import Event
    from alerts._notification import Notification
    from alerts._rules import Rule


def simulate(
    rules: Iterable[Rule],
    events: Iterable[Event],
    *,
    start: float = 0.0,
    step: float = 1.0,
    event_time: bool = False,
) -> list[Notification]:
    """Run rules over a sequence of events on a fake clock and return what would be sent.

    Nothing is stored or delivered: this is what ``alerts check --events`` and the bridge's
    ``POST /v1/alerts/rules/{id}/test`` use.

    Args:
        rules: the rules to try.
        events: the events, in order; the clock advances ``step`` seconds per event.
        start: the clock's start (unix time; ignored with ``event_time``).
        step: seconds between events.
        event_time: run the clock on the events' own timestamps instead (so schedules,
            windows and ``for`` see the times written in the events).

    Returns:
        The notifications, in order.
    """
    now = [start]
    engine = Engine(rules, clock=lambda: now[0])
    out: list[Notification] = []
    seen_any = False
    for event in events:
        if event_time:  # never backwards: out-of-order timestamps keep the clock where it is
            stamp = event.timestamp.timestamp()
            now[0] = max(now[0], stamp) if seen_any else stamp
            seen_any = True
        out.extend(engine.process(event))
        out.extend(engine.poll())
        if not event_time:
            now[0] += step
    return out
