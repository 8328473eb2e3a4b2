"""Follower: appends, partial lines, rotation, truncation, restart without loss or repeats."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest

from logkit import Follower, StateError

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

_open: list[Follower] = []


@pytest.fixture(autouse=True)
def _close_followers() -> Iterator[None]:
    yield
    while _open:
        _open.pop().close()


def _follower(*args: object, **kwargs: object) -> Follower:
    follower = Follower(*args, **kwargs)  # type: ignore[arg-type]
    _open.append(follower)
    return follower


def _texts(follower: Follower) -> list[str]:
    return [line.text for line in follower.read()]


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as fh:
        fh.write(text)


class TestFollowing:
    def test_start_at_end_skips_existing_lines(self, tmp_path: Path) -> None:
        log = tmp_path / "a.log"
        log.write_text("old\n")
        follower = _follower([log])
        assert _texts(follower) == []
        _append(log, "new\n")
        assert _texts(follower) == ["new"]

    def test_partial_line_waits_for_its_end(self, tmp_path: Path) -> None:
        log = tmp_path / "a.log"
        log.write_text("")
        follower = _follower([log], start_at="start")
        _append(log, "hal")
        assert _texts(follower) == []
        _append(log, "f\r\nnext\n")
        assert _texts(follower) == ["half", "next"]

    def test_file_created_later_is_picked_up(self, tmp_path: Path) -> None:
        log = tmp_path / "later.log"
        follower = _follower([log])
        assert _texts(follower) == []
        log.write_text("first\n")
        assert _texts(follower) == ["first"]

    def test_rotation_while_following_loses_nothing(self, tmp_path: Path) -> None:
        log = tmp_path / "app.log"
        log.write_text("1\n")
        follower = _follower([log], start_at="start")
        assert _texts(follower) == ["1"]
        _append(log, "2\n3")  # "3" is unterminated when the file is rotated
        log.rename(tmp_path / "app.log.1")
        log.write_text("4\n")
        assert _texts(follower) == ["2", "3", "4"]
        _append(log, "5\n")
        assert _texts(follower) == ["5"]

    def test_truncation_is_read_from_the_top(self, tmp_path: Path) -> None:
        log = tmp_path / "app.log"
        log.write_text("aaaa\nbbbb\n")
        follower = _follower([log], start_at="start")
        assert _texts(follower) == ["aaaa", "bbbb"]
        os.truncate(log, 0)
        _append(log, "cc\n")
        assert _texts(follower) == ["cc"]

    def test_copytruncate_refilled_past_old_size_is_detected(self, tmp_path: Path) -> None:
        log = tmp_path / "app.log"
        log.write_text("x1\n")
        follower = _follower([log], start_at="start")
        assert _texts(follower) == ["x1"]
        os.truncate(log, 0)
        _append(log, "y1\ny2\n")
        assert _texts(follower) == ["y1", "y2"]

    def test_several_files(self, tmp_path: Path) -> None:
        a, b = tmp_path / "a.log", tmp_path / "b.log"
        a.write_text("")
        b.write_text("")
        follower = _follower([a, b])
        _append(a, "from a\n")
        _append(b, "from b\n")
        assert sorted((line.path, line.text) for line in follower.read()) == [
            (str(a), "from a"),
            (str(b), "from b"),
        ]


class TestRestart:
    def test_restart_neither_loses_nor_repeats(self, tmp_path: Path) -> None:
        log, state = tmp_path / "app.log", tmp_path / "pos.json"
        log.write_text("1\n2\n")
        first = _follower([log], state_path=state, start_at="start")
        assert _texts(first) == ["1", "2"]
        first.save()
        first.close()
        _append(log, "3\n")
        second = _follower([log], state_path=state, start_at="start")
        assert _texts(second) == ["3"]

    def test_restart_after_rotation_reads_the_rotated_rest_first(self, tmp_path: Path) -> None:
        log, state = tmp_path / "app.log", tmp_path / "pos.json"
        log.write_text("1\n")
        first = _follower([log], state_path=state, start_at="start")
        assert _texts(first) == ["1"]
        first.save()
        first.close()
        _append(log, "2\n")
        log.rename(tmp_path / "app.log.1")
        log.write_text("3\n")
        second = _follower([log], state_path=state, start_at="end")
        assert _texts(second) == ["2", "3"]

    def test_unsaved_lines_are_read_again(self, tmp_path: Path) -> None:
        log, state = tmp_path / "app.log", tmp_path / "pos.json"
        log.write_text("1\n")
        first = _follower([log], state_path=state, start_at="start")
        assert _texts(first) == ["1"]
        first.save()
        _append(log, "2\n")
        assert _texts(first) == ["2"]  # crash before save: at-least-once
        first.close()
        assert _texts(_follower([log], state_path=state, start_at="start")) == ["2"]

    def test_follow_saves_after_each_batch(self, tmp_path: Path) -> None:
        log, state = tmp_path / "app.log", tmp_path / "pos.json"
        log.write_text("a\nb\n")
        follower = _follower([log], state_path=state, start_at="start", sleep=lambda _: None)
        calls = iter([False, False, True])
        got = [line.text for line in follower.follow(stop=lambda: next(calls))]
        assert got == ["a", "b"]
        assert _follower([log], state_path=state).positions()[str(log)]["offset"] == 4

    def test_corrupt_state_is_refused(self, tmp_path: Path) -> None:
        state = tmp_path / "pos.json"
        state.write_text("[1, 2]")
        with pytest.raises(StateError):
            _follower([tmp_path / "x.log"], state_path=state)
