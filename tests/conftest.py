"""Fixtures shared by every package's tests."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

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
