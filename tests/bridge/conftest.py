"""Fixtures of the bridge tests: real servers in subprocesses, shared per session."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from marketdata.testing import ProviderEmulators
from tests.bridge.server import RunningBridge, run_bridge

PROVIDER_KEYS = {"ALPHAVANTAGE_API_KEY": "av-test-key", "FINNHUB_API_KEY": "fh-test-key"}


@pytest.fixture(scope="session")
def emulators() -> Iterator[ProviderEmulators]:
    """Alpha Vantage and Finnhub emulators on loopback, shared by the session's bridges."""
    with ProviderEmulators(websocket=False) as emu:
        yield emu


@pytest.fixture(scope="session")
def provider_env(emulators: ProviderEmulators) -> dict[str, str]:
    """Environment that points a bridge at the emulators, with test keys."""
    return {**emulators.env, **PROVIDER_KEYS}


if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def bridge_tcp(
    tmp_path_factory: pytest.TempPathFactory, provider_env: dict[str, str]
) -> Iterator[RunningBridge]:
    """One bridge on a TCP port for the whole session, in front of the emulators."""
    with run_bridge(tmp_path_factory.mktemp("bridge-tcp"), env=provider_env) as bridge:
        yield bridge


@pytest.fixture(scope="session")
def bridge_uds(
    tmp_path_factory: pytest.TempPathFactory, provider_env: dict[str, str]
) -> Iterator[RunningBridge]:
    """One bridge on a unix socket for the whole session, in front of the emulators."""
    home = tmp_path_factory.mktemp("bridge-uds")
    with run_bridge(home, uds=True, env=provider_env) as bridge:
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
