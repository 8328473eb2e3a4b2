"""Two `alerts run` processes on one Redis deliver every notification exactly once (e2e)."""

from __future__ import annotations

import json
import os
import shutil
import socket
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


def start_redis(folder: Path) -> tuple[str, subprocess.Popen[bytes]]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("redis-server not installed")
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", str(folder), "--save", ""],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
            return f"redis://127.0.0.1:{port}/0", proc
        except OSError:
            if time.monotonic() > deadline:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)


def test_two_engine_processes_on_redis(tmp_path: Path, receiver: Receiver) -> None:
    url, redis = start_redis(tmp_path)
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
        redis.terminate()
        redis.wait(timeout=10)
