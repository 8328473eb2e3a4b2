"""Cross-process locks: exclusion, timeout, expiry and token-checked release."""

from __future__ import annotations

import threading
import time

import pytest

from statestore import LockTimeoutError, StateStore


class TestLock:
    def test_second_holder_times_out(self, store: StateStore) -> None:
        with store.lock("job", ttl=5), pytest.raises(LockTimeoutError, match="job"):
            store.lock("job", ttl=5, blocking_timeout=0.1).acquire()

    def test_zero_timeout_tries_once(self, store: StateStore) -> None:
        with store.lock("job", ttl=5):
            started = time.monotonic()
            with pytest.raises(LockTimeoutError):
                store.lock("job", ttl=5, blocking_timeout=0).acquire()
            assert time.monotonic() - started < 3.0

    def test_released_lock_can_be_taken_again(self, store: StateStore) -> None:
        with store.lock("job", ttl=5) as held:
            inside = held.locked
        assert inside
        assert not held.locked
        with store.lock("job", ttl=5, blocking_timeout=0):
            pass

    def test_lock_names_do_not_clash_with_keys(self, store: StateStore) -> None:
        store.set("job", b"value")
        with store.lock("job", ttl=5, blocking_timeout=0):
            assert store.get("job") == b"value"

    def test_expired_lock_is_taken_over_and_old_release_keeps_new_holder(
        self, store: StateStore
    ) -> None:
        first = store.lock("job", ttl=0.1)
        first.acquire()
        time.sleep(0.2)
        second = store.lock("job", ttl=5, blocking_timeout=0)
        second.acquire()
        first.release()  # expired: must not remove the second holder's lock
        with pytest.raises(LockTimeoutError):
            store.lock("job", ttl=5, blocking_timeout=0).acquire()
        second.release()

    def test_waiter_gets_the_lock_when_released(self, store: StateStore) -> None:
        order: list[str] = []
        held = store.lock("job", ttl=5)
        held.acquire()

        def waiter() -> None:
            with store.lock("job", ttl=5, blocking_timeout=5):
                order.append("waiter")

        thread = threading.Thread(target=waiter)
        thread.start()
        time.sleep(0.1)
        order.append("holder")
        held.release()
        thread.join(5)
        assert order == ["holder", "waiter"]

    def test_lock_is_not_reentrant(self, store: StateStore) -> None:
        lock = store.lock("job", ttl=5)
        with lock, pytest.raises(RuntimeError, match="already held"):
            lock.acquire()

    def test_threads_are_mutually_excluded(self, store: StateStore) -> None:
        inside = 0
        overlaps = 0
        guard = threading.Lock()

        def worker() -> None:
            nonlocal inside, overlaps
            for _ in range(10):
                with store.lock("crit", ttl=10):
                    with guard:
                        inside += 1
                        overlaps += inside > 1
                    time.sleep(0.001)
                    with guard:
                        inside -= 1

        threads = [threading.Thread(target=worker) for _ in range(4)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert overlaps == 0
