"""Several processes on one state store: one upstream call per datum, shared events."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from typing import TYPE_CHECKING

import pytest

from marketdata.testing import ProviderEmulators
from statestore import open_store
from tests.conftest import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path


def test_four_processes_share_cache_and_coalesce(tmp_path: Path) -> None:
    state = tmp_path / "state"
    open_store(f"sqlite://{state}").close()  # create it once, before the race
    namespace = f"mp{uuid.uuid4().hex[:8]}"
    symbols = ["IBM", "AAPL", "MSFT", "BRK.B", "VOD.L"]
    with ProviderEmulators(websocket=False, latency=0.3) as emu:
        env = {**os.environ, **emu.env, "SWITCHYARD_HOME": str(tmp_path)}
        env.pop("SWITCHYARD_STATE_URL", None)
        command = [sys.executable, "-m", "tests.marketdata.worker", str(state), namespace, "20"]
        processes = [
            subprocess.Popen(
                [*command, *symbols],
                cwd=REPO_ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for _ in range(4)
        ]
        outputs = []
        for process in processes:
            out, err = process.communicate(timeout=120)
            assert process.returncode == 0, err
            outputs.append(json.loads(out))
        finnhub_calls = emu.finnhub.count("quote")
        av_calls = emu.alphavantage.calls
    # every process saw the same prices, and each datum was fetched exactly once
    assert all(output == outputs[0] for output in outputs)
    assert sorted(outputs[0]) == sorted(symbols)
    assert finnhub_calls == len(symbols)
    assert av_calls == 0
    with open_store(f"sqlite://{state}") as store:
        events = [json.loads(p) for _, p in store.read("switchyard:events", None, count=100)]
    assert sorted(e["symbol"] for e in events) == sorted(symbols)  # one tick per fresh quote


@pytest.mark.e2e
def test_processes_coalesce_on_redis(redis_url: str, tmp_path: Path) -> None:
    namespace = f"mp{uuid.uuid4().hex[:8]}"
    symbols = ["IBM", "AAPL", "MSFT"]
    with ProviderEmulators(websocket=False, latency=0.3) as emu:
        env = {**os.environ, **emu.env, "SWITCHYARD_HOME": str(tmp_path)}
        command = [sys.executable, "-m", "tests.marketdata.worker", redis_url, namespace, "10"]
        processes = [
            subprocess.Popen(
                [*command, *symbols], cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, text=True
            )
            for _ in range(3)
        ]
        outputs = [json.loads(p.communicate(timeout=120)[0]) for p in processes]
        calls = emu.finnhub.count("quote")
    assert all(p.returncode == 0 for p in processes)
    assert all(output == outputs[0] for output in outputs)
    assert calls == len(symbols)
