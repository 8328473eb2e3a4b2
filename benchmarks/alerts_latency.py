"""Event-to-delivery latency into a local webhook receiver, beside what WP-Cron implies.

A publisher puts ticks on the shared stream (SQLite state store) at a steady rate; every tick
crosses a level, so every tick becomes one notification. The engine (StreamRunner) and the
delivery worker run in threads, as `alerts run` does; a local HTTP receiver verifies each
Standard Webhooks signature and notes the arrival time. Latency = arrival - publish.

WP-Cron runs at most once a minute and only when someone visits the site: even with a visitor
every minute, an event waits uniformly 0-60 s for the next run (p50 30 s, p99 59.4 s).

Run: python benchmarks/alerts_latency.py [--rate 50 --seconds 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from rich.console import Console
from rich.table import Table

from alerts import (
    DeliveryWorker,
    Engine,
    Outbox,
    StreamRunner,
    WebhookChannel,
    rule_from_dict,
    verify_webhook,
)
from statestore import open_store

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # noqa: S105 - public test vector


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0, help="ticks per second")
    parser.add_argument("--seconds", type=float, default=10.0)
    args = parser.parse_args()

    arrivals: dict[str, float] = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            verify_webhook(SECRET, dict(self.headers.items()), body)
            firing_id = json.loads(body)["data"]["firing_id"]
            with lock:
                arrivals.setdefault(firing_id, time.time())
            self.send_response(204)
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hook"

    folder = tempfile.mkdtemp(prefix="alerts-bench-")
    store = open_store(f"sqlite://{folder}/state")
    rules = [
        rule_from_dict(
            {"id": "up", "kind": "cross_up", "symbol": "IBM", "level": 100, "channels": ["hook"]}
        ),
        rule_from_dict(
            {
                "id": "down",
                "kind": "cross_down",
                "symbol": "IBM",
                "level": 100,
                "channels": ["hook"],
            }
        ),
    ]
    outbox = Outbox(store)
    engine = Engine(rules, store, outbox=outbox)
    runner = StreamRunner(engine, store, block=0.05, checkpoint_every=1.0)
    worker = DeliveryWorker(outbox, {"hook": WebhookChannel("hook", url, SECRET)}, idle_wait=0.002)
    runner.start()
    worker.start()

    published: dict[str, float] = {}
    total = int(args.rate * args.seconds)
    interval = 1.0 / args.rate
    start = time.perf_counter()
    for i in range(total):
        target = start + i * interval
        delay = target - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        payload = {"type": "tick", "symbol": "IBM", "price": "101" if i % 2 else "99"}
        t = time.time()
        published[store.publish("switchyard:events", json.dumps(payload).encode())] = t
    deadline = time.monotonic() + 30
    while len(arrivals) < total - 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    runner.stop()
    worker.stop()
    server.shutdown()
    store.close()

    latencies = [arrivals[eid] - published[eid] for eid in arrivals if eid in published]
    p50, p99 = percentile(latencies, 0.50), percentile(latencies, 0.99)
    table = Table(
        title=f"alerts: event-to-delivery latency, {args.rate:g} ticks/s for {args.seconds:g} s"
    )
    table.add_column("path")
    table.add_column("delivered", justify="right")
    table.add_column("p50", justify="right")
    table.add_column("p99", justify="right")
    table.add_column("p50 vs WP-Cron", justify="right")
    table.add_row(
        "WP-Cron e-mail (once a minute, visitor permitting) — lower bound",
        "-",
        "30 s",
        "59.4 s",
        "1x",
    )
    table.add_row(
        "alerts: stream → engine → outbox → signed webhook",
        f"{len(latencies)}/{total - 1}",
        f"{p50 * 1000:.1f} ms",
        f"{p99 * 1000:.1f} ms",
        f"{30 / p50:,.0f}x sooner",
    )
    Console(width=120).print(table)
    Console().print(
        f"mean {statistics.fmean(latencies) * 1000:.1f} ms, max {max(latencies) * 1000:.1f} ms"
    )


if __name__ == "__main__":
    main()
