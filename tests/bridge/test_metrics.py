"""Prometheus metrics: request counts add up across every worker."""

from __future__ import annotations

import re
from pathlib import Path

from tests.bridge.server import run_bridge


def _sample_total(text: str, name: str, **labels: str) -> float:
    total = 0.0
    for line in text.splitlines():
        if not line.startswith(name + "{"):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


class TestMultiWorker:
    def test_counts_add_up_over_two_workers(self, tmp_path: Path) -> None:
        with run_bridge(tmp_path / "home", workers=2) as bridge:
            pids = set()
            with bridge.client() as first:
                first.get("/metrics")  # settle: both workers answer health during startup
            for _ in range(30):
                # A fresh connection each time so the kernel spreads them over workers.
                with bridge.anonymous() as client:
                    response = client.get("/v1/health", headers={"X-Request-ID": "count-me"})
                    assert response.status_code == 200
                    pids.add(response.headers.get("x-worker", ""))
            with bridge.client() as client:
                before = _sample_total(
                    client.get("/metrics").text,
                    "bridge_requests_total",
                    route="/v1/health",
                    status="200",
                )
                for _ in range(10):
                    with bridge.anonymous() as other:
                        other.get("/v1/health")
                after = _sample_total(
                    client.get("/metrics").text,
                    "bridge_requests_total",
                    route="/v1/health",
                    status="200",
                )
            assert after - before == 10
            assert before >= 30
            files = list(Path(bridge.home, "bridge", "run", "metrics").rglob("*.db"))
            assert len({re.sub(r"\D", "", f.name) for f in files}) >= 2
