"""Streams: increasing ids, reading after an id, trimming and blocking reads."""

from __future__ import annotations

import threading
import time

import pytest

from statestore import StateStore, parse_stream_id


class TestPublish:
    def test_ids_strictly_increase(self, store: StateStore) -> None:
        ids = [store.publish("s", str(i).encode()) for i in range(50)]
        keys = [parse_stream_id(i) for i in ids]
        assert keys == sorted(keys)
        assert len(set(keys)) == 50

    def test_maxlen_trims_oldest(self, store: StateStore) -> None:
        for i in range(30):
            store.publish("s", str(i).encode(), maxlen=10)
        entries = store.read("s", None, count=100)
        # Redis trims roughly (MAXLEN ~), SQLite exactly: never fewer than maxlen, newest kept.
        assert 10 <= len(entries) < 30
        assert entries[-1][1] == b"29"
        assert [p for _, p in entries] == [str(i).encode() for i in range(30 - len(entries), 30)]
        assert store.stream_length("s") == len(entries)

    def test_streams_are_independent(self, store: StateStore) -> None:
        store.publish("a", b"1")
        assert store.read("b", None) == []
        assert store.last_id("b") is None
        assert store.stream_length("b") == 0

    def test_bad_maxlen_is_refused(self, store: StateStore) -> None:
        with pytest.raises(ValueError, match="maxlen"):
            store.publish("s", b"x", maxlen=0)


class TestRead:
    def test_read_after_returns_only_newer(self, store: StateStore) -> None:
        first = store.publish("s", b"a")
        second = store.publish("s", b"b")
        assert store.read("s", None) == [(first, b"a"), (second, b"b")]
        assert store.read("s", first) == [(second, b"b")]
        assert store.read("s", second) == []
        assert store.last_id("s") == second

    def test_count_pages_through(self, store: StateStore) -> None:
        for i in range(7):
            store.publish("s", str(i).encode())
        seen: list[bytes] = []
        after: str | None = None
        while batch := store.read("s", after, count=3):
            seen.extend(p for _, p in batch)
            after = batch[-1][0]
        assert seen == [str(i).encode() for i in range(7)]

    def test_dollar_reads_only_new_entries(self, store: StateStore) -> None:
        store.publish("s", b"old")
        assert store.read("s", "$") == []

    def test_block_waits_for_a_publisher(self, store: StateStore) -> None:
        last = store.publish("s", b"old")

        def later() -> None:
            time.sleep(0.2)
            store.publish("s", b"new")

        thread = threading.Thread(target=later)
        thread.start()
        started = time.monotonic()
        entries = store.read("s", last, block=5)
        waited = time.monotonic() - started
        thread.join()
        assert [p for _, p in entries] == [b"new"]
        assert 0.1 < waited < 4

    def test_block_times_out_empty(self, store: StateStore) -> None:
        started = time.monotonic()
        assert store.read("s", "$", block=0.2) == []
        assert 0.15 < time.monotonic() - started < 3

    @pytest.mark.parametrize("after", ["abc", "1-x", "-1", ""])
    def test_malformed_after_is_refused(self, store: StateStore, after: str) -> None:
        with pytest.raises(ValueError, match="stream id"):
            store.read("s", after)


class TestParseStreamId:
    @pytest.mark.parametrize(
        ("text", "expected"), [("5-3", (5, 3)), ("17", (17, 0)), ("0-0", (0, 0))]
    )
    def test_parses(self, text: str, expected: tuple[int, int]) -> None:
        assert parse_stream_id(text) == expected
