"""statestore operation costs beside the bare libraries underneath, in one run.

Measures the mean cost of one operation (microseconds, best of ``--repeat`` rounds of ``--n``):

- SQLite backend ``get``, ``set``, ``incr``, ``lock``, ``hit``, ``publish``, ``read``,
  ``enqueue`` + ``claim`` against a bare ``diskcache.Cache`` get/set and a bare ``sqlite3``
  WAL ``INSERT`` transaction;
- Redis backend (a private ``redis-server`` on a free loopback port, when installed) against bare
  redis-py ``GET``/``SET``;
- ``hit`` throughput with 1 and 4 spawned processes on one store (operations per second).

Ratios are against the bare baseline of the same backend measured in the same run.

Run: ``python benchmarks/statestore_ops.py [--n 2000] [--repeat 3] [--json]``.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, cast

import diskcache
import redis
from rich.console import Console
from rich.table import Table

from statestore import StateStore, open_store

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Row = dict[str, object]


def best_us(fn: Callable[[int], object], n: int, repeat: int) -> float:
    """Best mean microseconds per call of ``fn(i)`` over ``repeat`` rounds of ``n`` calls."""
    best = float("inf")
    for r in range(repeat):
        start = time.perf_counter()
        for i in range(n):
            fn(r * n + i)
        best = min(best, (time.perf_counter() - start) / n * 1e6)
    return best


def store_ops(store: StateStore) -> dict[str, Callable[[int], object]]:
    """The statestore operations measured, each a callable of the iteration number."""
    store.set("hot", b"x" * 200)
    first = store.publish("bench:read", b"x" * 200)
    for _ in range(200):
        store.publish("bench:read", b"x" * 200)

    def lock(_: int) -> None:
        with store.lock("bench", ttl=10):
            pass

    def enqueue_claim(i: int) -> None:
        store.enqueue("bench:q", f"i{i}", b"x" * 200)
        store.claim("bench:q", lease=60)

    return {
        "get": lambda _: store.get("hot"),
        "set": lambda i: store.set(f"k{i % 500}", b"x" * 200),
        "incr": lambda _: store.incr("counter"),
        "lock+release": lock,
        "hit (rate limit)": lambda _: store.hit("bench", limit=10**9, window=1.0),
        "publish": lambda _: store.publish("bench:s", b"x" * 200),
        "read 100": lambda _: store.read("bench:read", first, count=100),
        "enqueue+claim": enqueue_claim,
    }


def hammer(url: str, seconds: float) -> int:
    """Hit one shared key for ``seconds``; return how many calls were made."""
    with open_store(url) as store:
        calls = 0
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            store.hit("shared", limit=10**9, window=1.0)
            calls += 1
        return calls


def throughput(url: str, processes: int, pool: ProcessPoolExecutor, seconds: float) -> float:
    """Total ``hit`` calls per second achieved by ``processes`` processes on one store."""
    futures = [pool.submit(hammer, url, seconds) for _ in range(processes)]
    return sum(f.result() for f in futures) / seconds


@contextmanager
def redis_server() -> Iterator[str | None]:
    """A private redis-server on a free port, or ``None`` when not installed."""
    binary = shutil.which("redis-server")
    if binary is None:
        yield None
        return
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with tempfile.TemporaryDirectory() as workdir:
        command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--dir", workdir]
        proc = subprocess.Popen(
            [*command, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            for _ in range(200):
                try:
                    socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                    break
                except OSError:
                    time.sleep(0.05)
            yield f"redis://127.0.0.1:{port}/0"
        finally:
            proc.terminate()
            proc.wait(timeout=10)


def measure_sqlite(root: Path, n: int, repeat: int) -> list[Row]:
    """Rows for the SQLite backend and its bare baselines."""
    cache = diskcache.Cache(str(root / "bare-cache"))
    cache.set("hot", b"x" * 200)
    conn = sqlite3.connect(root / "bare.db", isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute("CREATE TABLE t (k TEXT, v BLOB)")

    def bare_insert(i: int) -> None:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO t VALUES (?, ?)", (str(i), b"x" * 200))
        conn.execute("COMMIT")

    baseline_get = best_us(lambda _: cache.get("hot"), n, repeat)
    baselines = {
        "bare diskcache get": baseline_get,
        "bare diskcache set": best_us(lambda i: cache.set(f"k{i % 500}", b"x" * 200), n, repeat),
        "bare sqlite3 WAL insert txn": best_us(bare_insert, n, repeat),
    }
    rows: list[Row] = [
        {"backend": "sqlite", "operation": name, "us": us, "baseline": "diskcache get"}
        for name, us in baselines.items()
    ]
    with open_store(f"sqlite://{root / 'state'}") as store:
        for name, fn in store_ops(store).items():
            us = best_us(fn, n, repeat)
            rows.append({"backend": "sqlite", "operation": name, "us": us})
    cache.close()
    conn.close()
    for row in rows:
        row["ratio"] = float(str(row["us"])) / baseline_get
    return rows


def measure_redis(url: str, n: int, repeat: int) -> list[Row]:
    """Rows for the Redis backend and bare redis-py."""
    client = redis.Redis.from_url(url)
    client.set("bare:hot", b"x" * 200)
    baseline_get = best_us(lambda _: client.get("bare:hot"), n, repeat)
    rows: list[Row] = [
        {"backend": "redis", "operation": "bare redis-py GET", "us": baseline_get},
        {
            "backend": "redis",
            "operation": "bare redis-py SET",
            "us": best_us(lambda i: client.set(f"bare:{i % 500}", b"x" * 200), n, repeat),
        },
    ]
    for _ in range(201):
        client.xadd("bare:stream", {"d": b"x" * 200})
    first_id = cast("list[tuple[bytes, object]]", client.xrange("bare:stream", count=1))[0][0]
    rows.append(
        {
            "backend": "redis",
            "operation": "bare redis-py XREAD 100",
            "us": best_us(lambda _: client.xread({"bare:stream": first_id}, count=100), n, repeat),
        }
    )
    client.close()
    with open_store(url) as store:
        for name, fn in store_ops(store).items():
            rows.append({"backend": "redis", "operation": name, "us": best_us(fn, n, repeat)})
    for row in rows:
        row["ratio"] = float(str(row["us"])) / baseline_get
    return rows


def main() -> None:
    """Measure and print the table (or JSON)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="calls per round")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is kept")
    parser.add_argument("--seconds", type=float, default=2.0, help="multi-process run length")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    rows: list[Row] = []
    scaling: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp, redis_server() as redis_url:
        root = Path(tmp)
        rows += measure_sqlite(root, args.n, args.repeat)
        if redis_url is not None:
            rows += measure_redis(redis_url, args.n, args.repeat)
        urls = {"sqlite": f"sqlite://{root / 'mp'}"}
        if redis_url is not None:
            urls["redis"] = redis_url
        context = multiprocessing.get_context("spawn")
        with ProcessPoolExecutor(4, mp_context=context) as pool:
            pool.submit(time.sleep, 0).result()
            for backend, url in urls.items():
                one = throughput(url, 1, pool, args.seconds)
                four = throughput(url, 4, pool, args.seconds)
                scaling.append(
                    {
                        "backend": backend,
                        "hit/s 1 proc": one,
                        "hit/s 4 procs": four,
                        "ratio": four / one,
                    }
                )

    if args.json:
        print(json.dumps({"operations": rows, "multiprocess": scaling}, indent=2))
        return
    console = Console()
    table = Table(title="statestore: µs per operation (ratio vs bare GET of the same backend)")
    for column in ("backend", "operation", "µs/op", "ratio"):
        table.add_column(column, justify="left" if column in {"backend", "operation"} else "right")
    for row in rows:
        table.add_row(
            str(row["backend"]),
            str(row["operation"]),
            f"{float(str(row['us'])):.1f}",
            f"{float(str(row['ratio'])):.1f}x",
        )
    console.print(table)
    mp = Table(title="hit() throughput on one shared key (2-core machine)")
    for column in ("backend", "1 process", "4 processes", "4 ÷ 1"):
        mp.add_column(column, justify="left" if column == "backend" else "right")
    for row in scaling:
        mp.add_row(
            str(row["backend"]),
            f"{float(str(row['hit/s 1 proc'])):,.0f}/s",
            f"{float(str(row['hit/s 4 procs'])):,.0f}/s",
            f"{float(str(row['ratio'])):.2f}",
        )
    console.print(mp)


if __name__ == "__main__":
    main()
