"""Prometheus metrics: counts add up across every worker; market-data totals are exposed."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tests.bridge.server import RunningBridge


def sample_total(text: str, name: str, **labels: str) -> float:
    """Sum the samples of ``name`` whose labels include ``labels``."""
    total = 0.0
    for line in text.splitlines():
        if not (line.startswith((name + "{", name + " "))):
            continue
        if all(f'{key}="{value}"' in line for key, value in labels.items()):
            total += float(line.rsplit(" ", 1)[1])
    return total


class TestMultiWorker:
    def test_counts_add_up_over_two_workers(self, bridge_workers: RunningBridge) -> None:
        labels = {"route": "/v1/health", "status": "200"}
        with bridge_workers.client() as client:
            before = sample_total(client.get("/metrics").text, "bridge_requests_total", **labels)
        for _ in range(20):
            # A fresh connection each time, so the kernel spreads them over both workers.
            with bridge_workers.anonymous() as other:
                assert other.get("/v1/health").status_code == 200
        totals = set()
        for _ in range(4):
            with bridge_workers.client() as client:
                text = client.get("/metrics").text
                totals.add(sample_total(text, "bridge_requests_total", **labels))
        # Whichever worker answers /metrics, it reports what both answered.
        assert totals == {before + 20}
        metrics_dir = bridge_workers.home / "bridge" / "run" / "metrics"
        pids = {path.stem.rpartition("_")[2] for path in metrics_dir.rglob("counter_*.db")}
        assert len(pids) >= 2


class TestContent:
    def test_market_data_totals_and_latency(self, bridge_tcp: RunningBridge) -> None:
        with bridge_tcp.client() as client:
            assert client.get("/v1/quotes/METRICS").status_code == 200
            assert client.get("/v1/quotes/METRICS").status_code == 200
            text = client.get("/metrics").text
        assert sample_total(text, "bridge_marketdata_cache_hits_total") >= 1
        assert sample_total(text, "bridge_marketdata_upstream_calls_total") >= 1
        assert "bridge_marketdata_limit_remaining{" in text
        assert (
            sample_total(text, "bridge_request_duration_seconds_count", route="/v1/quotes/{symbol}")
            >= 2
        )
        assert 'bridge_marketdata_calls_total{operation="quote",outcome="ok"}' in text
