"""Prometheus metrics, correct with several workers.

``bridge serve`` points ``PROMETHEUS_MULTIPROC_DIR`` at a fresh folder under
``SWITCHYARD_HOME`` before any worker starts, so every worker writes its samples to files there
and ``/metrics`` (answered by any worker) aggregates all of them. Without that variable (one
process, tests, embedding) the default in-process registry is used.
"""

from __future__ import annotations

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
    values,
)

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
IN_PROGRESS = Gauge(
    "bridge_requests_in_progress",
    "HTTP requests being answered.",
    multiprocess_mode="livesum",
)
MARKETDATA_CALLS = Counter(
    "bridge_marketdata_calls_total",
    "Market-data calls made by the bridge, by operation and outcome.",
    ["operation", "outcome"],
)
CACHE_HITS = Counter(
    "bridge_marketdata_cache_hits_total",
    "Market-data answers served without an upstream call (as reported by marketdata).",
)
UPSTREAM_CALLS = Counter(
    "bridge_marketdata_upstream_calls_total",
    "Upstream provider calls (as reported by marketdata), by provider.",
    ["provider"],
)
LIMITS_LEFT = Gauge(
    "bridge_marketdata_limit_remaining",
    "Requests left in a provider's rate-limit window.",
    ["provider", "window"],
    multiprocess_mode="mostrecent",
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


def render() -> tuple[bytes, str]:
    """The exposition text of every metric (aggregated over workers in multiprocess mode).

    Returns:
        The body and its content type.
    """
    if MULTIPROCESS:
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        return generate_latest(registry), CONTENT_TYPE_LATEST
    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST


def mark_worker_dead(pid: int) -> None:
    """Drop the live-gauge samples of a worker that exited."""
    if MULTIPROCESS:
        multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]
