"""Stateful property: a queue behaves like a simple model under any sequence of calls.

On SQLite it runs in virtual time (injected clock), so leases expire without sleeping. On Redis
(e2e) time is real: items are ready well in the past or an hour away, and leases last an hour.
"""

from __future__ import annotations

import itertools
import shutil
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)

from statestore import SQLiteStateStore, open_store
from tests.statestore.test_ratelimit_property import FakeClock

if TYPE_CHECKING:
    from statestore import StateStore

IDS = st.sampled_from([f"n{i}" for i in range(6)])
DELAYS = st.sampled_from([0.0, 0.5, 1.0, 5.0])
_queues = itertools.count()


@dataclass
class Model:
    payload: bytes
    attempts: int
    available_at: float
    order: int
    leased_until: float | None = None
    state: str = "pending"
    reason: str = ""


class QueueModelMachine(RuleBasedStateMachine):
    """Rules and invariants shared by both backends; subclasses provide the store and time."""

    store: StateStore

    def __init__(self) -> None:
        super().__init__()
        self.model: dict[str, Model] = {}
        self.order = 0
        self.queue = f"q{next(_queues)}"

    def now(self) -> float:
        raise NotImplementedError

    def shift(self, delay: float) -> float:
        """The offset from now at which an item drawn with ``delay`` becomes available."""
        return delay

    def lease_for(self, lease: float) -> float:
        """The lease actually used for a drawn ``lease``."""
        return lease

    def teardown(self) -> None:
        self.store.close()

    def _claimable(self) -> list[str]:
        now = self.now()
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
        at = self.now() + self.shift(delay)
        added = self.store.enqueue(self.queue, item_id, payload, available_at=at)
        assert added == (item_id not in self.model)
        if added:
            self.order += 1
            self.model[item_id] = Model(payload, 0, at, self.order)

    @rule(count=st.integers(1, 3), lease=st.sampled_from([0.5, 2.0]))
    def claim(self, count: int, lease: float) -> None:
        lease = self.lease_for(lease)
        expected = self._claimable()[:count]
        items = self.store.claim(self.queue, lease=lease, count=count)
        assert [i.id for i in items] == expected
        for item in items:
            m = self.model[item.id]
            m.attempts += 1
            m.leased_until = self.now() + lease
            assert item.attempts == m.attempts
            assert item.payload == m.payload

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data())
    def ack(self, data: st.DataObject) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        self.store.ack(self.queue, item_id)
        self.model[item_id].state = "done"

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data(), delay=DELAYS, payload=st.none() | st.binary(max_size=8))
    def retry(self, data: st.DataObject, delay: float, payload: bytes | None) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        at = self.now() + self.shift(delay)
        self.store.retry(self.queue, item_id, available_at=at, payload=payload)
        m = self.model[item_id]
        m.available_at, m.leased_until = at, None
        if payload is not None:
            m.payload = payload

    @precondition(lambda self: bool(self._pending_ids()))
    @rule(data=st.data(), reason=st.text(max_size=5))
    def dead(self, data: st.DataObject, reason: str) -> None:
        item_id = data.draw(st.sampled_from(self._pending_ids()))
        self.store.dead(self.queue, item_id, reason=reason)
        m = self.model[item_id]
        m.state, m.reason = "dead", reason

    @invariant()
    def pending_matches(self) -> None:
        got = {i.id: (i.payload, i.attempts) for i in self.store.pending(self.queue)}
        want = {i: (m.payload, m.attempts) for i, m in self.model.items() if m.state == "pending"}
        assert got == want

    @invariant()
    def dead_letters_match(self) -> None:
        got = {d.id: (d.reason, d.attempts) for d in self.store.dead_letters(self.queue)}
        want = {i: (m.reason, m.attempts) for i, m in self.model.items() if m.state == "dead"}
        assert got == want


class SQLiteQueueMachine(QueueModelMachine):
    def __init__(self) -> None:
        super().__init__()
        self.dir = Path(tempfile.mkdtemp())
        self.clock = FakeClock()
        self.store = SQLiteStateStore(self.dir / "s", clock=self.clock)

    def now(self) -> float:
        return self.clock.now

    @rule(dt=st.sampled_from([0.1, 0.5, 1.0, 3.0]))
    def advance(self, dt: float) -> None:
        self.clock.now += dt

    def teardown(self) -> None:
        super().teardown()
        shutil.rmtree(self.dir, ignore_errors=True)


SQLiteQueueMachine.TestCase.settings = settings(
    max_examples=25, stateful_step_count=25, deadline=None
)
TestSQLiteQueueMachine = SQLiteQueueMachine.TestCase


@pytest.mark.e2e
def test_redis_queue_follows_the_model(redis_url: str) -> None:
    class RedisQueueMachine(QueueModelMachine):
        def __init__(self) -> None:
            super().__init__()
            self.store = open_store(redis_url)

        def now(self) -> float:
            return time.time()

        def shift(self, delay: float) -> float:
            # Real time: ready well in the past, or an hour away; never near a boundary.
            return {0.0: -10.0, 0.5: -5.0, 1.0: -1.0}.get(delay, 3600.0)

        def lease_for(self, lease: float) -> float:
            return 3600.0  # leases must not expire while hypothesis runs

    run_state_machine_as_test(
        RedisQueueMachine,
        settings=settings(max_examples=15, stateful_step_count=20, deadline=None),
    )
