"""Durable queues: dedup, leases, retries, dead letters."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from statestore import StateStore


class TestEnqueue:
    def test_duplicate_id_is_refused(self, store: StateStore) -> None:
        assert store.enqueue("q", "n1", b"a") is True
        assert store.enqueue("q", "n1", b"b") is False
        assert [i.payload for i in store.pending("q")] == [b"a"]

    def test_acked_id_is_still_known(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"a")
        (item,) = store.claim("q", lease=30)
        store.ack("q", item.id)
        assert store.pending("q") == []
        assert store.enqueue("q", "n1", b"a") is False

    def test_queues_are_independent(self, store: StateStore) -> None:
        store.enqueue("q1", "n1", b"a")
        assert store.enqueue("q2", "n1", b"a") is True
        assert len(store.claim("q2", lease=30, count=5)) == 1


class TestClaim:
    def test_claims_in_order_of_availability(self, store: StateStore) -> None:
        now = time.time()
        store.enqueue("q", "late", b"l", available_at=now - 1)
        store.enqueue("q", "early", b"e", available_at=now - 10)
        store.enqueue("q", "future", b"f", available_at=now + 3600)
        items = store.claim("q", lease=30, count=10)
        assert [i.id for i in items] == ["early", "late"]
        assert all(i.attempts == 1 for i in items)
        assert all(i.leased_until is not None and i.leased_until > now for i in items)

    def test_leased_item_is_not_claimed_twice(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"a")
        assert len(store.claim("q", lease=30)) == 1
        assert store.claim("q", lease=30) == []

    def test_expired_lease_is_claimable_again(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"a")
        store.claim("q", lease=0.1)
        time.sleep(0.2)
        (again,) = store.claim("q", lease=30)
        assert again.id == "n1"
        assert again.attempts == 2

    def test_count_limits_a_claim(self, store: StateStore) -> None:
        for i in range(5):
            store.enqueue("q", f"n{i}", b"x")
        assert len(store.claim("q", lease=30, count=3)) == 3
        assert len(store.claim("q", lease=30, count=3)) == 2

    def test_bad_arguments_are_refused(self, store: StateStore) -> None:
        with pytest.raises(ValueError, match="lease"):
            store.claim("q", lease=0)
        with pytest.raises(ValueError, match="count"):
            store.claim("q", lease=1, count=0)


class TestRetryAndDead:
    def test_retry_reschedules_and_replaces_payload(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"v1")
        store.claim("q", lease=30)
        store.retry("q", "n1", available_at=time.time() + 0.6, payload=b"v2")
        assert store.claim("q", lease=30) == []
        time.sleep(0.7)
        (item,) = store.claim("q", lease=30)
        assert item.payload == b"v2"
        assert item.attempts == 2

    def test_retry_without_payload_keeps_it(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"v1")
        store.claim("q", lease=30)
        store.retry("q", "n1", available_at=time.time() - 1)
        (item,) = store.claim("q", lease=30)
        assert item.payload == b"v1"

    def test_dead_moves_to_dead_letters(self, store: StateStore) -> None:
        store.enqueue("q", "n1", b"v1")
        store.claim("q", lease=30)
        store.dead("q", "n1", reason="HTTP 410 Gone")
        assert store.pending("q") == []
        assert store.claim("q", lease=30) == []
        (letter,) = store.dead_letters("q")
        assert (letter.id, letter.payload, letter.attempts, letter.reason) == (
            "n1",
            b"v1",
            1,
            "HTTP 410 Gone",
        )
        assert abs(letter.dead_at - time.time()) < 60
        assert store.enqueue("q", "n1", b"again") is False

    def test_unknown_ids_are_ignored(self, store: StateStore) -> None:
        store.ack("q", "nope")
        store.retry("q", "nope", available_at=0)
        store.dead("q", "nope", reason="x")
        assert store.pending("q") == []
        assert store.dead_letters("q") == []


class TestPendingAndInfo:
    def test_pending_lists_leased_and_waiting(self, store: StateStore) -> None:
        store.enqueue("q", "a", b"1", available_at=time.time() - 5)
        store.enqueue("q", "b", b"2", available_at=time.time() - 1)
        store.claim("q", lease=30)
        items = store.pending("q")
        assert [i.id for i in items] == ["a", "b"]
        assert items[0].leased_until is not None
        assert items[1].leased_until is None

    def test_info_counts_streams_and_queues(self, store: StateStore) -> None:
        store.publish("events", b"x")
        store.publish("events", b"y")
        for i in range(3):
            store.enqueue("outbox", str(i), b"x")
        store.claim("outbox", lease=30)
        store.dead("outbox", "2", reason="r")
        info = store.info()
        assert info.backend == store.backend
        assert info.streams == {"events": 2}
        stats = info.queues["outbox"]
        assert (stats.pending, stats.leased, stats.dead) == (1, 1, 1)
