"""Sliding-window rate limits: atomic check-and-consume that never exceeds the limit."""

from __future__ import annotations

import time

import pytest

from statestore import RateDecision, StateStore


class TestHit:
    def test_allows_up_to_limit_then_refuses(self, store: StateStore) -> None:
        decisions = [store.hit("k", limit=3, window=60) for _ in range(4)]
        assert [d.allowed for d in decisions] == [True, True, True, False]
        assert [d.remaining for d in decisions] == [2, 1, 0, 0]
        assert decisions[0].retry_after == 0.0
        assert 59 < decisions[3].retry_after <= 60

    def test_cost_consumes_several_units(self, store: StateStore) -> None:
        assert store.hit("k", limit=5, window=60, cost=3) == RateDecision(True, 2, 0.0)
        refused = store.hit("k", limit=5, window=60, cost=3)
        assert refused.allowed is False
        assert refused.remaining == 2
        assert store.hit("k", limit=5, window=60, cost=2).allowed is True

    def test_window_slides(self, store: StateStore) -> None:
        assert store.hit("k", limit=1, window=0.8).allowed
        refused = store.hit("k", limit=1, window=0.8)
        assert not refused.allowed
        assert 0 < refused.retry_after <= 0.8
        time.sleep(refused.retry_after + 0.05)
        assert store.hit("k", limit=1, window=0.8).allowed

    def test_keys_are_independent(self, store: StateStore) -> None:
        assert store.hit("a", limit=1, window=60).allowed
        assert store.hit("b", limit=1, window=60).allowed
        assert not store.hit("a", limit=1, window=60).allowed

    @pytest.mark.parametrize(
        ("limit", "window", "cost"),
        [
            pytest.param(0, 1.0, 1, id="zero-limit"),
            pytest.param(1, 0.0, 1, id="zero-window"),
            pytest.param(1, 1.0, 0, id="zero-cost"),
            pytest.param(2, 1.0, 3, id="cost-over-limit"),
        ],
    )
    def test_impossible_arguments_are_refused(
        self, store: StateStore, limit: int, window: float, cost: int
    ) -> None:
        with pytest.raises(ValueError, match=r"limit|window|cost"):
            store.hit("k", limit=limit, window=window, cost=cost)


class TestPeek:
    def test_peek_does_not_consume(self, store: StateStore) -> None:
        assert store.peek("k", limit=2, window=60) == RateDecision(True, 2, 0.0)
        store.hit("k", limit=2, window=60)
        assert store.peek("k", limit=2, window=60) == RateDecision(True, 1, 0.0)
        assert store.peek("k", limit=2, window=60).remaining == 1
        store.hit("k", limit=2, window=60)
        peeked = store.peek("k", limit=2, window=60)
        assert not peeked.allowed
        assert peeked.remaining == 0
        assert peeked.retry_after > 59
