"""Two `alerts run` processes on one Redis deliver every notification exactly once (e2e)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from statestore import open_store
from tests.alerts.test_cli import write_rules

if TYPE_CHECKING:
    from tests.alerts.servers import Receiver

REPO = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.e2e


def test_two_engine_processes_on_redis(tmp_path: Path, receiver: Receiver, redis_url: str) -> None:
    url = redis_url
    rules = write_rules(tmp_path, receiver.url)
    store = open_store(url)
    try:
        for i in range(30):
            payload = {"type": "tick", "symbol": "IBM", "price": "151" if i % 2 else "149"}
            store.publish("switchyard:events", json.dumps(payload).encode())
        engines = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "alerts",
                    "run",
                    "--rules",
                    str(rules),
                    "--state-url",
                    url,
                    "--from-start",
                    "--duration",
                    "60",
                ],
                cwd=REPO,
                env={**os.environ, "ALERTS_ENGINE_NAME": name},
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
            )
            for name in ("a", "b")
        ]
        deadline = time.monotonic() + 45
        while len(receiver.requests) < 15 and time.monotonic() < deadline:
            time.sleep(0.1)
        time.sleep(2)  # would-be duplicates get their chance to arrive
        for proc in engines:
            proc.terminate()
            proc.wait(timeout=30)
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(ids) == 15  # 15 upward crossings among 30 alternating ticks
        assert len(set(ids)) == 15
    finally:
        store.close()
