"""Fixtures of the bridge tests: real servers in subprocesses, shared per session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from tests.bridge.server import RunningBridge, run_bridge

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def bridge_tcp(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBridge]:
    """One bridge on a TCP port for the whole session."""
    with run_bridge(tmp_path_factory.mktemp("bridge-tcp")) as bridge:
        yield bridge


@pytest.fixture(scope="session")
def bridge_uds(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningBridge]:
    """One bridge on a unix socket for the whole session."""
    with run_bridge(tmp_path_factory.mktemp("bridge-uds"), uds=True) as bridge:
        yield bridge


@pytest.fixture(params=["tcp", "uds"])
def bridge(request: pytest.FixtureRequest) -> RunningBridge:
    """Each test using it runs once over TCP and once over the unix socket."""
    running: RunningBridge = request.getfixturevalue(f"bridge_{request.param}")
    return running


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A fresh SWITCHYARD_HOME."""
    return tmp_path / "home"
