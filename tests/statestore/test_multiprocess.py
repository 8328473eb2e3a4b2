"""Several real processes (spawn) on one store: the guarantees hold across processes."""

from __future__ import annotations

import math
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from typing import TYPE_CHECKING

import pytest

from statestore import SQLiteStateStore, open_store, parse_stream_id
from tests.statestore import workers

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

PROCESSES = 4
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def pool() -> Iterator[ProcessPoolExecutor]:
    """One pool of spawned processes for the module: spawning costs seconds on a busy machine."""
    with ProcessPoolExecutor(PROCESSES, mp_context=multiprocessing.get_context("spawn")) as p:
        yield p


class TestAcrossProcesses:
    def test_rate_limit_is_never_exceeded(self, store_url: str, pool: ProcessPoolExecutor) -> None:
        futures = [
            pool.submit(workers.hammer_rate_limit, store_url, "api", 60, 50, 600.0)
            for _ in range(PROCESSES)
        ]
        allowed = [f.result(timeout=120) for f in futures]
        # 240 attempts against a budget of 50 in a window longer than the test: exactly 50 pass.
        assert sum(allowed) == 50

    def test_sliding_window_holds_across_processes(
        self, store_url: str, pool: ProcessPoolExecutor
    ) -> None:
        limit, window, seconds = 5, 0.3, 1.5
        futures = [
            pool.submit(workers.timed_hits, store_url, "slide", seconds, limit, window)
            for _ in range(PROCESSES)
        ]
        hits = sorted(h for f in futures for h in f.result(timeout=120))
        # Each admission happened somewhere in its (before, after) interval. If limit + 1
        # consecutive admissions fit, intervals included, inside one window, the limit was
        # certainly exceeded.
        for i in range(len(hits) - limit):
            group = hits[i : i + limit + 1]
            span = max(after for _, after in group) - group[0][0]
            assert span >= window, f"{limit + 1} admissions within {span:.3f}s < {window}s"
        # Over the whole span, covered by ceil(span / window) + 1 windows, no more can pass.
        span = max(after for _, after in hits) - hits[0][0]
        assert limit <= len(hits) <= limit * (math.ceil(span / window) + 1), (len(hits), span)

    def test_each_queue_item_is_claimed_by_exactly_one_process(
        self, store_url: str, pool: ProcessPoolExecutor
    ) -> None:
        with open_store(store_url) as store:
            for i in range(150):
                assert store.enqueue("outbox", f"n{i}", b"x")
        futures = [pool.submit(workers.drain_queue, store_url, "outbox") for _ in range(PROCESSES)]
        claimed = [i for f in futures for i in f.result(timeout=120)]
        assert len(claimed) == 150
        assert sorted(claimed) == sorted(f"n{i}" for i in range(150))

    def test_lock_excludes_other_processes(self, store_url: str, pool: ProcessPoolExecutor) -> None:
        futures = [pool.submit(workers.locked_increments, store_url, 15) for _ in range(PROCESSES)]
        total = sum(f.result(timeout=120) for f in futures)
        with open_store(store_url) as store:
            assert store.get("counter") == str(total).encode()

    def test_concurrent_publishers_lose_nothing(
        self, store_url: str, pool: ProcessPoolExecutor
    ) -> None:
        futures = [
            pool.submit(workers.publish_many, store_url, "events", p, 100) for p in range(PROCESSES)
        ]
        published = [i for f in futures for i in f.result(timeout=120)]
        with open_store(store_url) as store:
            entries = store.read("events", None, count=10_000)
        ids = [i for i, _ in entries]
        assert len(set(published)) == len(published) == PROCESSES * 100
        assert sorted(ids, key=parse_stream_id) == ids
        assert set(ids) == set(published)
        payloads = {p.decode() for _, p in entries}
        assert payloads == {f"{p}:{i}" for p in range(PROCESSES) for i in range(100)}


def _forked_child(store: SQLiteStateStore, queue: multiprocessing.Queue[object]) -> None:
    try:
        store.set("from-child", b"yes")
        queue.put((store.get("from-parent"), store.publish("s", b"child"), store.incr("n")))
    except Exception as exc:  # reported to the parent, which fails the test
        queue.put(repr(exc))


class TestFork:
    def test_store_opened_before_fork_works_in_the_child(self, tmp_path: Path) -> None:
        store = SQLiteStateStore(tmp_path / "s")
        store.set("from-parent", b"hello")
        store.incr("n")
        store.publish("s", b"parent")
        context = multiprocessing.get_context("fork")
        results: multiprocessing.Queue[object] = context.Queue()
        child = context.Process(target=_forked_child, args=(store, results))
        child.start()
        answer = results.get(timeout=60)
        child.join(60)
        assert isinstance(answer, tuple), answer
        assert answer[0] == b"hello"
        assert answer[2] == 2
        assert store.get("from-child") == b"yes"
        assert [p for _, p in store.read("s", None)] == [b"parent", b"child"]
        store.close()
