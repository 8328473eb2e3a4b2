"""Fixtures of the bridge tests: real servers in subprocesses, shared per session."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest

from marketdata.testing import FinnhubWebSocketEmulator, ProviderEmulators
from tests.bridge.receiver import WebhookReceiver
from tests.bridge.server import run_bridge

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.bridge.server import RunningBridge

PROVIDER_KEYS = {"ALPHAVANTAGE_API_KEY": "av-test-key", "FINNHUB_API_KEY": "fh-test-key"}
# The emulators have no limits; lift the client's real budgets (25 Alpha Vantage calls a day)
# so a long session is not answered 503 once they are spent.
BUDGETS = {
    "MARKETDATA_ALPHAVANTAGE_PER_DAY": "100000",
    "MARKETDATA_ALPHAVANTAGE_PER_MINUTE": "100000",
    "MARKETDATA_FINNHUB_PER_MINUTE": "100000",
}
WEBHOOK_SECRET = "whsec_MDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDAwMDA="


@pytest.fixture(scope="session")
def emulators() -> Iterator[ProviderEmulators]:
    """Alpha Vantage and Finnhub emulators on loopback, shared by the session's bridges."""
    with ProviderEmulators(websocket=False) as emu:
        yield emu


@pytest.fixture(scope="session")
def trade_stream() -> Iterator[FinnhubWebSocketEmulator]:
    """A Finnhub WebSocket emulator sending a trade frame every half second."""
    with FinnhubWebSocketEmulator(trade_interval=0.5) as emulator:
        yield emulator


@pytest.fixture(scope="session")
def receiver() -> Iterator[WebhookReceiver]:
    """Where the ``hook`` alert channel of the session's bridges delivers."""
    with WebhookReceiver() as hook:
        yield hook


@pytest.fixture(scope="session")
def bridge_env(
    emulators: ProviderEmulators,
    receiver: WebhookReceiver,
    tmp_path_factory: pytest.TempPathFactory,
) -> dict[str, str]:
    """Environment of the session's bridges: emulators, test keys, a rules file with ``hook``."""
    rules = tmp_path_factory.mktemp("rules") / "rules.json"
    document = {
        "channels": {"hook": {"type": "webhook", "url": receiver.url, "secret": WEBHOOK_SECRET}},
        "rules": [],
    }
    rules.write_text(json.dumps(document), encoding="utf-8")
    # Streaming is tried on the workers' bridge only (see bridge_workers), so that elsewhere a
    # rule fires because of a quote someone fetched, not because of a streamed trade.
    return {
        **emulators.env,
        **PROVIDER_KEYS,
        **BUDGETS,
        "ALERTS_RULES": str(rules),
        "BRIDGE_STREAM_RULE_SYMBOLS": "0",
    }


@pytest.fixture(scope="session")
def bridge_tcp(
    tmp_path_factory: pytest.TempPathFactory, bridge_env: dict[str, str]
) -> Iterator[RunningBridge]:
    """One bridge on a TCP port for the whole session, in front of the emulators."""
    with run_bridge(tmp_path_factory.mktemp("bridge-tcp"), env=bridge_env) as bridge:
        yield bridge


@pytest.fixture(scope="session")
def bridge_uds(
    tmp_path_factory: pytest.TempPathFactory, bridge_env: dict[str, str]
) -> Iterator[RunningBridge]:
    """One bridge on a unix socket for the whole session, with a generated token file."""
    home = tmp_path_factory.mktemp("bridge-uds")
    with run_bridge(home, uds=True, env=bridge_env, token=None) as bridge:
        yield bridge


@pytest.fixture(scope="session")
def bridge_workers(
    tmp_path_factory: pytest.TempPathFactory,
    bridge_env: dict[str, str],
    trade_stream: FinnhubWebSocketEmulator,
) -> Iterator[RunningBridge]:
    """One bridge with two worker processes on one state store, streaming rule symbols."""
    home = tmp_path_factory.mktemp("bridge-workers")
    env = {
        **bridge_env,
        "BRIDGE_STREAM_RULE_SYMBOLS": "1",
        "MARKETDATA_FINNHUB_WS_URL": trade_stream.url,
    }
    with run_bridge(home, workers=2, env=env) as bridge:
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
