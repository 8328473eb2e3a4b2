"""Backend errors are translated at the boundary into the statestore tree."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING

import pytest

from statestore import (
    SQLiteStateStore,
    StateStore,
    StateStoreError,
    StateStoreUnavailableError,
    open_store,
)
from tests.redis_server import running_redis

if TYPE_CHECKING:
    from pathlib import Path


class TestSQLiteErrors:
    def test_database_locked_beyond_timeout_is_unavailable(self, tmp_path: Path) -> None:
        store = SQLiteStateStore(tmp_path / "s", timeout=0.1)
        blocker = sqlite3.connect(tmp_path / "s" / "state.db", isolation_level=None)
        blocker.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(StateStoreUnavailableError, match="locked"):
                store.publish("s", b"x")
            with pytest.raises(StateStoreUnavailableError):
                store.hit("k", limit=1, window=1)
        finally:
            blocker.execute("ROLLBACK")
            blocker.close()
        assert store.publish("s", b"x")  # usable again once the lock is gone
        store.close()

    def test_corrupt_database_is_a_state_store_error(self, tmp_path: Path) -> None:
        (tmp_path / "s").mkdir()
        (tmp_path / "s" / "state.db").write_bytes(b"this is not a database" * 100)
        with pytest.raises(StateStoreError):
            SQLiteStateStore(tmp_path / "s")


@pytest.mark.e2e
class TestRedisErrors:
    def test_wrong_type_is_a_state_store_error(self, redis_url: str) -> None:
        import redis

        client = redis.Redis.from_url(redis_url)
        client.set("statestore:stream:broken", b"a string, not a stream")
        client.close()
        with open_store(redis_url) as store, pytest.raises(StateStoreError, match="WRONGTYPE"):
            store.publish("broken", b"x")

    def test_rate_sum_is_rebuilt_when_lost(self, redis_url: str) -> None:
        import redis

        with open_store(redis_url) as store:
            for _ in range(3):
                assert store.hit("k", limit=4, window=600).allowed
            client = redis.Redis.from_url(redis_url)
            client.delete("statestore:ratesum:k")
            client.close()
            assert store.hit("k", limit=4, window=600).remaining == 0
            assert not store.hit("k", limit=4, window=600).allowed

    def test_server_gone_is_unavailable(self, tmp_path: Path) -> None:
        with running_redis(tmp_path) as (url, proc):
            store = open_store(url.replace("redis://", "redis://:s3cret@"))
            proc.terminate()
            proc.wait(timeout=10)
            with pytest.raises(StateStoreUnavailableError) as info:
                store.get("k")
            assert "s3cret" not in str(info.value)
            store.close()


class TestClosed:
    def test_closed_store_refuses_use(self, store_url: str) -> None:
        store = open_store(store_url)
        store.close()
        store.close()  # idempotent
        with pytest.raises(StateStoreError, match="closed"):
            store.publish("s", b"x")
        with pytest.raises(StateStoreError, match="closed"):
            store.get("k")


class TestThreads:
    def test_claims_across_threads_are_exclusive(self, store: StateStore) -> None:
        for i in range(60):
            store.enqueue("q", f"n{i}", b"x")
        got: list[str] = []
        guard = threading.Lock()

        def worker() -> None:
            while items := store.claim("q", lease=60, count=2):
                with guard:
                    got.extend(i.id for i in items)

        with ThreadPoolExecutor(4) as pool:
            for future in [pool.submit(worker) for _ in range(4)]:
                future.result(timeout=60)
        assert sorted(got) == sorted(f"n{i}" for i in range(60))

    def test_hits_across_threads_never_exceed(self, store: StateStore) -> None:
        with ThreadPoolExecutor(4) as pool:
            results = list(
                pool.map(lambda _: store.hit("k", limit=25, window=600).allowed, range(100))
            )
        assert sum(results) == 25
