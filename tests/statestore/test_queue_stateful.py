"""Stateful property: the SQLite queue behaves like a simple model under any sequence of calls.

Runs in virtual time (injected clock), so leases and delays need no sleeping.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from statestore import SQLiteStateStore
from tests.statestore.test_ratelimit_property import FakeClock

IDS = st.sampled_from([f"n{i}" for i in range(6)])
DELAYS = st.sampled_from([0.0, 0.5, 1.0, 5.0])


@dataclass
class Model:
    payload: bytes
    attempts: int
    available_at: float
    order: int
    leased_until: float | None = None
    state: str = "pending"
    reason: str = ""


class QueueMachine(RuleBasedStateMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.clock = FakeClock()
        self.store = SQLiteStateStore(self.dir / "s", clock=self.clock)
        self.model: dict[str, Model] = {}
        self.order = 0

    def teardown(self) -> None:
        self.store.close()
        shutil.rmtree(self.dir, ignore_errors=True)

    def _claimable(self) -> list[str]:
        now = self.clock.now
        ready = [
            (m.available_at, m.order, i)
            for i, m in self.model.items()
            if m.state == "pending"
            and m.available_at <= now
            and (m.leased_until is None or m.leased_until <= now)
        ]
        return [i for _, _, i in sorted(ready)]

    def _pending_ids(self) -> list[str]:
        return [i for i, m in self.model.items() if m.state == "pending"]

    @rule(item_id=IDS, delay=DELAYS, payload=st.binary(max_size=8))
    def enqueue(self, item_id: str, delay: float, payload: bytes) -> None:
        at = self.clock.now + delay
        added = self.store.enqueue("q", item_id, payload, available_at=at)
        assert added == (item_id not in self.model)
        if added:
            self.order += 1
            self.model[item_id] = Model(payload, 0, at, self.order)

    @rule(dt=st.sampled_from([0.1, 0.5, 1.0, 3.0]))
    def advance(self, dt: float) -> None:
        self.clock.now += dt

    @rule(count=st.integers(1, 3), lease=st.sampled_from([0.5, 2.0]))
    def claim(self, count: int, lease: float) -> None:
        expected = self._claimable()[:count]
        items = self.store.claim("q", lease=lease, count=count)
        assert [i.id for i in items] == expected
        for item in items:
            m = self.model[item.id]
            m.attempts += 1
            m.leased_until = self.clock.now + lease
            assert item.attempts == m.attempts
            assert item.payload == m.payload

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        self.store.ack("q", item_id)
        self.model[item_id].state = "done"

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data(), delay=DELAYS, payload=st.none() | st.binary(max_size=8))
    def retry(self, data: st.DataObject, delay: float, payload: bytes | None) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        at = self.clock.now + delay
        self.store.retry("q", item_id, available_at=at, payload=payload)
        m = self.model[item_id]
        m.available_at, m.leased_until = at, None
        if payload is not None:
            m.payload = payload

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data(), reason=st.text(max_size=5))
    def dead(self, data: st.DataObject, reason: str) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        self.store.dead("q", item_id, reason=reason)
        m = self.model[item_id]
        m.state, m.reason = "dead", reason

    @invariant()
    def pending_matches(self) -> None:
        got = {i.id: (i.payload, i.attempts) for i in self.store.pending("q")}
        want = {i: (m.payload, m.attempts) for i, m in self.model.items() if m.state == "pending"}
        assert got == want

    @invariant()
    def dead_letters_match(self) -> None:
        got = {d.id: (d.reason, d.attempts) for d in self.store.dead_letters("q")}
        want = {i: (m.reason, m.attempts) for i, m in self.model.items() if m.state == "dead"}
        assert got == want


QueueMachine.TestCase.settings = settings(max_examples=25, stateful_step_count=25, deadline=None)
TestQueueMachine = QueueMachine.TestCase
