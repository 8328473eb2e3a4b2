"""Fixtures shared by every package's tests."""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.redis_server import running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator

REPO_ROOT = Path(__file__).resolve().parents[1]


def shared_fixtures() -> Path:
    """The folder of shared, real-world fixtures (``SWITCHYARD_FIXTURES``)."""
    return Path(os.environ.get("SWITCHYARD_FIXTURES", REPO_ROOT / ".." / "shared" / "fixtures"))


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    """The shared fixtures folder; tests that use it are skipped when it is missing."""
    path = shared_fixtures()
    if not path.is_dir():
        pytest.skip(f"shared fixtures not found at {path}; set SWITCHYARD_FIXTURES")
    return path


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    """The URL of a private redis-server for one test (skipped when it is not installed)."""
    with running_redis(tmp_path) as (url, _):
        yield url
