"""Prometheus metrics, correct with several workers.

``bridge serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder under
``SWITCHYARD_HOME`` before any worker starts, so every worker writes its samples to files there
and ``/metrics`` (answered by any worker) aggregates all of them. Without that variable (one
process, tests, embedding) the default in-process registry is used.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping

    from prometheus_client.metrics_core import Metric

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"
# prometheus_client chose how to store values when it was imported: trust that choice, not the
# environment now (a process that imported it before the variable was set keeps memory values).
MULTIPROCESS = values.ValueClass is not values.MutexValue

REQUESTS = Counter(
    "bridge_requests_total", "HTTP requests answered.", ["method", "route", "status"]
)
LATENCY = Histogram(
    "bridge_request_duration_seconds",
    "Time to answer an HTTP request.",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
MARKETDATA_CALLS = Counter(
    "bridge_marketdata_calls_total",
    "Market-data calls made by the bridge, by operation and outcome.",
    ["operation", "outcome"],
)
EVENTS_PUBLISHED = Counter(
    "bridge_events_published_total",
    "Events published to the shared stream, by type.",
    ["type"],
)
LOG_LINES = Counter(
    "bridge_log_lines_total", "Log lines and events accepted on /v1/logs.", ["source"]
)
LOG_DROPPED = Counter(
    "bridge_log_lines_dropped_total", "Log batches dropped because the queue was full."
)
ALERTS_FIRED = Counter("bridge_alerts_fired_total", "Alert notifications fired.", ["rule"])
DELIVERIES = Counter(
    "bridge_alert_deliveries_total",
    "Alert deliveries attempted, by channel and outcome.",
    ["channel", "outcome"],
)
DELIVERIES_FAILED = Counter(
    "bridge_alert_deliveries_failed_total",
    "Alert deliveries that failed (retried or dead-lettered).",
    ["channel"],
)


class MarketDataCollector(Collector):
    """Market-data totals shared by every process (read from the store at scrape time).

    Args:
        stats: what ``AsyncMarketData.stats()`` returned: ``totals`` and ``limits``.
    """

    def __init__(self, stats: Mapping[str, Any]) -> None:
        self.stats = stats

    def collect(self) -> Iterator[Metric]:
        """Yield cache hits, coalesced and stale answers, upstream calls and limits left."""
        totals: Mapping[str, Any] = self.stats.get("totals") or {}
        hits = CounterMetricFamily(
            "bridge_marketdata_cache_hits",
            "Market-data answers served from cache, all processes (level: l1 memory, l2 store).",
            labels=["level"],
        )
        for level in ("l1", "l2"):
            hits.add_metric([level], float(totals.get(f"hits_{level}", 0)))
        yield hits
        for name, key, text in (
            ("coalesced", "coalesced", "Requests that waited for an identical upstream call."),
            ("stale_served", "stale_served", "Stale answers served because providers failed."),
            ("errors", "errors", "Market-data calls that ended in an error."),
        ):
            yield CounterMetricFamily(
                f"bridge_marketdata_{name}", text, value=float(totals.get(key, 0))
            )
        upstream = CounterMetricFamily(
            "bridge_marketdata_upstream_calls",
            "Calls made to each provider, all processes.",
            labels=["provider"],
        )
        for key, value in sorted(totals.items()):
            if key.startswith("upstream:"):
                upstream.add_metric([key.partition(":")[2]], float(value))
        yield upstream
        remaining: dict[tuple[str, str], float] = {}
        for limit in self.stats.get("limits") or []:
            window = f"{float(limit.get('window', 0)):g}s"
            label = (str(limit.get("provider", "")), window)
            remaining[label] = remaining.get(label, 0.0) + float(limit.get("remaining", 0))
        left = GaugeMetricFamily(
            "bridge_marketdata_limit_remaining",
            "Requests left in each provider's rate-limit window (summed over its keys).",
            labels=["provider", "window"],
        )
        for (provider, window), value in sorted(remaining.items()):
            left.add_metric([provider, window], value)
        yield left


def render(extra: Collector | None = None) -> tuple[bytes, str]:
    """The exposition text of every metric (aggregated over workers in multiprocess mode).

    Args:
        extra: a collector read at scrape time (shared totals), added to the output.

    Returns:
        The body and its content type.
    """
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        body = generate_latest(registry)
    else:
        body = generate_latest(REGISTRY)
    if extra is not None:
        registry = CollectorRegistry()
        registry.register(extra)
        body += generate_latest(registry)
    return body, CONTENT_TYPE_LATEST


def mark_worker_dead(pid: int) -> None:
    """Drop the live-gauge samples of a worker that exited."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
