"""Key/values, counters and their expiry: the same behaviour on every backend."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from statestore import StateStore


class TestGetSet:
    def test_missing_key_reads_none(self, store: StateStore) -> None:
        assert store.get("absent") is None

    def test_set_then_get_returns_the_bytes(self, store: StateStore) -> None:
        store.set("k", b"\x00binary\xff")
        assert store.get("k") == b"\x00binary\xff"

    def test_set_overwrites(self, store: StateStore) -> None:
        store.set("k", b"one")
        store.set("k", b"two")
        assert store.get("k") == b"two"

    def test_ttl_expires_the_value(self, store: StateStore) -> None:
        store.set("k", b"v", ttl=0.15)
        assert store.get("k") == b"v"
        time.sleep(0.25)
        assert store.get("k") is None

    @pytest.mark.parametrize("ttl", [0, -1.0, float("inf"), float("nan")])
    def test_bad_ttl_is_refused(self, store: StateStore, ttl: float) -> None:
        with pytest.raises(ValueError, match="ttl"):
            store.set("k", b"v", ttl=ttl)


class TestAdd:
    def test_add_only_when_absent(self, store: StateStore) -> None:
        assert store.add("k", b"first") is True
        assert store.add("k", b"second") is False
        assert store.get("k") == b"first"

    def test_add_succeeds_after_expiry(self, store: StateStore) -> None:
        assert store.add("k", b"first", ttl=0.1) is True
        time.sleep(0.2)
        assert store.add("k", b"second") is True
        assert store.get("k") == b"second"


class TestDelete:
    def test_delete_reports_whether_it_existed(self, store: StateStore) -> None:
        store.set("k", b"v")
        assert store.delete("k") is True
        assert store.delete("k") is False
        assert store.get("k") is None


class TestIncr:
    def test_incr_counts_from_zero(self, store: StateStore) -> None:
        assert store.incr("n") == 1
        assert store.incr("n", 5) == 6
        assert store.incr("n", -2) == 4
        assert store.get("n") == b"4"

    def test_incr_of_a_set_integer(self, store: StateStore) -> None:
        store.set("n", b"41")
        assert store.incr("n") == 42

    def test_incr_of_non_integer_raises_value_error(self, store: StateStore) -> None:
        store.set("n", b"not a number")
        with pytest.raises(ValueError, match="integer"):
            store.incr("n")

    def test_ttl_applies_on_creation_and_is_kept(self, store: StateStore) -> None:
        assert store.incr("n", ttl=1.0) == 1
        time.sleep(0.1)
        assert store.incr("n", ttl=100) == 2  # does not extend the expiry
        time.sleep(1.0)
        assert store.get("n") is None
        assert store.incr("n") == 1
