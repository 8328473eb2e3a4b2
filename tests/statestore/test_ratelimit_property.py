"""Property: no schedule of hits is ever admitted over the limit within any window.

The SQLite backend takes an injected clock, so hypothesis explores schedules in virtual time.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings

from statestore import SQLiteStateStore
from tests.statestore import strategies

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class FakeClock:
    """A wall clock that moves only when told to."""

    def __init__(self, start: float = 1_800_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now


@pytest.fixture(scope="module")
def clocked(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SQLiteStateStore, FakeClock]]:
    clock = FakeClock()
    store = SQLiteStateStore(tmp_path_factory.mktemp("prop") / "state", clock=clock)
    yield store, clock
    store.close()


_keys = itertools.count()


class TestSlidingWindowProperty:
    @settings(max_examples=60, deadline=None)
    @given(schedule=strategies.schedules, limit=strategies.limits, window=strategies.windows)
    def test_no_window_ever_holds_more_than_limit(
        self,
        clocked: tuple[SQLiteStateStore, FakeClock],
        schedule: list[tuple[float, int]],
        limit: int,
        window: float,
    ) -> None:
        store, clock = clocked
        key = f"k{next(_keys)}"
        admitted: list[tuple[float, int]] = []

        def used_at(t: float) -> int:
            return sum(c for ts, c in admitted if t - window < ts <= t)

        for dt, cost in schedule:
            clock.now += dt
            now = clock.now
            used_before = used_at(now)
            decision = store.hit(key, limit=limit, window=window, cost=cost)
            if decision.allowed:
                admitted.append((now, cost))
                assert decision.remaining == limit - used_before - cost
                assert decision.retry_after == 0.0
            else:
                # Refused only when it really would not fit...
                assert used_before + cost > limit
                assert decision.remaining == limit - used_before
                # ...and retry_after is exactly when it would fit again.
                later = now + decision.retry_after + 1e-6  # float slack
                assert used_at(later) + cost <= limit
                assert decision.retry_after >= 0
            # The invariant: every window ending at an admitted hit is within the limit.
            assert all(used_at(ts) <= limit for ts, _ in admitted)

    @settings(max_examples=30, deadline=None)
    @given(schedule=strategies.schedules, limit=strategies.limits, window=strategies.windows)
    def test_peek_agrees_with_hit(
        self,
        clocked: tuple[SQLiteStateStore, FakeClock],
        schedule: list[tuple[float, int]],
        limit: int,
        window: float,
    ) -> None:
        store, clock = clocked
        key = f"k{next(_keys)}"
        for dt, cost in schedule:
            clock.now += dt
            peeked = store.peek(key, limit=limit, window=window)
            hit = store.hit(key, limit=limit, window=window, cost=1)
            assert peeked.allowed == hit.allowed
            if hit.allowed:
                assert peeked.remaining == hit.remaining + 1
            if cost > 1:
                store.hit(key, limit=limit, window=window, cost=cost)


def test_clock_is_read_inside_the_store(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStateStore(tmp_path / "s", clock=clock)
    assert store.hit("k", limit=1, window=10).allowed
    clock.now += 9.999
    assert not store.hit("k", limit=1, window=10).allowed
    clock.now += 0.001
    assert store.hit("k", limit=1, window=10).allowed
    store.close()


def test_expired_hits_of_idle_keys_are_swept(tmp_path: Path) -> None:
    clock = FakeClock()
    store = SQLiteStateStore(tmp_path / "s", clock=clock)
    for i in range(300):  # many keys used once, then never again
        store.hit(f"minute-{i}", limit=5, window=60)
    clock.now += 61
    for _ in range(300):
        store.hit("live", limit=10**6, window=3600)
    (left,) = store._query("SELECT COUNT(*) FROM rate_hits WHERE key LIKE 'minute-%'")[0]
    assert left == 0
    store.close()


def test_old_directory_without_expiry_column_is_migrated(tmp_path: Path) -> None:
    import sqlite3

    (tmp_path / "s").mkdir()
    old = sqlite3.connect(tmp_path / "s" / "state.db")
    old.execute("CREATE TABLE rate_hits (key TEXT NOT NULL, ts REAL NOT NULL, cost INTEGER)")
    old.commit()
    old.close()
    store = SQLiteStateStore(tmp_path / "s")
    assert store.hit("k", limit=1, window=60).allowed
    assert not store.hit("k", limit=1, window=60).allowed
    store.close()
