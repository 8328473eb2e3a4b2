"""Fixtures for the alerts tests: a SQLite store per test, a fake clock, local HTTP receivers."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from statestore import StateStore, open_store
from tests.alerts.servers import FakeClock, Receiver

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StateStore]:
    """A fresh SQLite-backed store."""
    s = open_store(f"sqlite://{tmp_path}/state")
    yield s
    s.close()


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when told to."""
    return FakeClock(1_767_225_600.0)  # 2026-01-01T00:00:00Z, a Thursday


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    """A local HTTP server that records requests and answers from a script."""
    with Receiver() as r:
        yield r


@pytest.fixture
def alerts_fixtures(fixtures_dir: Path) -> Path:
    """The shared alerts fixtures folder."""
    path = fixtures_dir / "alerts"
    if not path.is_dir():
        pytest.skip("alerts fixtures missing")
    return path
