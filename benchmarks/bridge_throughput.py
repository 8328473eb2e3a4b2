"""Throughput and latency of a cached quote through the bridge, beside a bare FastAPI route.

Runs, in the same session and under the same uvicorn settings (one worker, no access log):

* the bridge (``python -m bridge serve``) in front of the marketdata provider emulators, asked
  for ``GET /v1/quotes/IBM`` again and again (a cached quote: the first call fills the cache);
* a bare FastAPI app whose only route returns the same quote as a constant dict.

Each over TCP and over a unix socket. The load comes from a separate process: a small
asyncio HTTP/1.1 keep-alive client (``--load``) with several connections, so the client is not
the bottleneck. Prints requests per second, p50 and p99 latency, and each bridge figure as a
ratio of the baseline measured in the same run (goal: at least 0.8).

Usage: ``python benchmarks/bridge_throughput.py [--seconds 3] [--connections 16]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

TOKEN = "benchmark-token-0123456789abcdef"  # noqa: S105 - a throwaway local token
QUOTE_PATH = "/v1/quotes/IBM"
BASELINE_PATH = "/constant"


# --------------------------------------------------------------------------- load generator


async def _connection(
    target: str, request: bytes, stop_at: float, latencies: list[float], errors: list[int]
) -> None:
    if target.startswith("unix:"):
        reader, writer = await asyncio.open_unix_connection(target.removeprefix("unix:"))
    else:
        host, _, port = target.partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
    try:
        while time.perf_counter() < stop_at:
            begin = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length = 0
            for line in head.split(b"\r\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            await reader.readexactly(length)
            latencies.append(time.perf_counter() - begin)
            if status != 200:
                errors.append(status)
    finally:
        writer.close()


async def _load(target: str, path: str, seconds: float, warmup: float, connections: int) -> Any:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer {TOKEN}\r\n\r\n"
    ).encode()
    warm: list[float] = []
    await asyncio.gather(
        *(
            _connection(target, request, time.perf_counter() + warmup, warm, [])
            for _ in range(connections)
        )
    )
    latencies: list[float] = []
    errors: list[int] = []
    begin = time.perf_counter()
    await asyncio.gather(
        *(
            _connection(target, request, begin + seconds, latencies, errors)
            for _ in range(connections)
        )
    )
    elapsed = time.perf_counter() - begin
    ordered = sorted(latencies)
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "rps": len(latencies) / elapsed,
        "p50_ms": 1000 * ordered[len(ordered) // 2],
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))],
    }


# --------------------------------------------------------------------------- servers


def _baseline_server(target: str) -> None:
    import uvicorn
    from fastapi import FastAPI

    quote: dict[str, Any] = json.loads(os.environ["BENCH_QUOTE"])
    app = FastAPI()

    @app.get(BASELINE_PATH)
    async def constant() -> dict[str, Any]:
        return quote

    where: dict[str, Any] = (
        {"uds": target.removeprefix("unix:")}
        if target.startswith("unix:")
        else {"host": "127.0.0.1", "port": int(target.partition(":")[2])}
    )
    uvicorn.run(
        app,
        log_config=None,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
        server_header=False,
        **where,
    )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _wait(target: str, path: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            result = asyncio.run(_load(target, path, 0.05, 0.0, 1))
            if result["requests"] and not result["errors"]:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"server at {target} did not answer {path}")


def _spawn(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def _measure(target: str, path: str, seconds: float, connections: int) -> dict[str, Any]:
    """Run the load generator in its own process and return its figures."""
    out = subprocess.run(
        [
            sys.executable,
            __file__,
            "--load",
            target,
            path,
            "--seconds",
            str(seconds),
            "--connections",
            str(connections),
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, Any] = json.loads(out.stdout)
    return result


def main(seconds: float, connections: int, rounds: int) -> None:
    from marketdata.testing import ProviderEmulators

    work = Path(tempfile.mkdtemp(prefix="bridge-bench-"))
    processes: list[subprocess.Popen[bytes]] = []
    with ProviderEmulators(websocket=False) as emulators:
        base_env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("BRIDGE_", "SWITCHYARD_", "PROMETHEUS_"))
        }
        env = {
            **base_env,
            **emulators.env,
            "SWITCHYARD_HOME": str(work / "home"),
            "BRIDGE_TOKEN": TOKEN,
            "BRIDGE_LOG_LEVEL": "warning",
            "ALPHAVANTAGE_API_KEY": "bench-av",
            "FINNHUB_API_KEY": "bench-fh",
        }
        targets = {
            "bridge tcp": f"127.0.0.1:{_free_port()}",
            "bridge uds": f"unix:{work / 'bridge.sock'}",
            "baseline tcp": f"127.0.0.1:{_free_port()}",
            "baseline uds": f"unix:{work / 'baseline.sock'}",
        }
        try:
            for name in ("bridge tcp", "bridge uds"):
                where = targets[name]
                flag = (
                    ["--uds", where.removeprefix("unix:")]
                    if where.startswith("unix:")
                    else ["--port", where.partition(":")[2]]
                )
                processes.append(_spawn(["-m", "bridge", "serve", *flag], env))
            _wait(targets["bridge tcp"], QUOTE_PATH)
            _wait(targets["bridge uds"], QUOTE_PATH)
            quote = asyncio.run(_fetch_body(targets["bridge tcp"], QUOTE_PATH))
            for name in ("baseline tcp", "baseline uds"):
                processes.append(
                    _spawn([__file__, "--baseline", targets[name]], {**env, "BENCH_QUOTE": quote})
                )
            _wait(targets["baseline tcp"], BASELINE_PATH)
            _wait(targets["baseline uds"], BASELINE_PATH)
            results: dict[str, list[dict[str, Any]]] = {name: [] for name in targets}
            for _ in range(rounds):
                # Interleave, so drift in the machine's load hits both sides alike.
                for transport in ("tcp", "uds"):
                    for kind, path in (("baseline", BASELINE_PATH), ("bridge", QUOTE_PATH)):
                        name = f"{kind} {transport}"
                        results[name].append(_measure(targets[name], path, seconds, connections))
        finally:
            for process in processes:
                process.terminate()
            for process in processes:
                process.wait(timeout=30)
    _report(results, seconds, connections, rounds)


async def _fetch_body(target: str, path: str) -> str:
    if target.startswith("unix:"):
        reader, writer = await asyncio.open_unix_connection(target.removeprefix("unix:"))
    else:
        host, _, port = target.partition(":")
        reader, writer = await asyncio.open_connection(host, int(port))
    writer.write(
        f"GET {path} HTTP/1.1\r\nHost: b\r\nAuthorization: Bearer {TOKEN}\r\n\r\n".encode()
    )
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        int(line[15:]) for line in head.split(b"\r\n") if line[:15].lower() == b"content-length:"
    )
    body = await reader.readexactly(length)
    writer.close()
    return body.decode()


def _median(runs: list[dict[str, Any]], key: str) -> float:
    return float(statistics.median(float(run[key]) for run in runs))


def _report(
    results: dict[str, list[dict[str, Any]]], seconds: float, connections: int, rounds: int
) -> None:
    print(
        f"bridge throughput: cached GET {QUOTE_PATH} vs bare FastAPI constant route; "
        f"{connections} keep-alive connections from a separate process, "
        f"{rounds} x {seconds:g} s per server; req/s: best round (the machine is shared), "
        "latencies: median of rounds"
    )
    header = f"{'server':<14}{'req/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'errors':>8}{'vs base':>9}"
    print(header)
    print("-" * len(header))
    for transport in ("tcp", "uds"):
        base = results[f"baseline {transport}"]
        for kind in ("baseline", "bridge"):
            runs = results[f"{kind} {transport}"]
            rps = max(run["rps"] for run in runs)
            ratio = rps / max(run["rps"] for run in base)
            print(
                f"{kind + ' ' + transport:<14}{rps:>10.0f}{_median(runs, 'p50_ms'):>9.2f}"
                f"{_median(runs, 'p99_ms'):>9.2f}{sum(r['errors'] for r in runs):>8}"
                f"{ratio:>9.2f}"
            )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--load", nargs=2, metavar=("TARGET", "PATH"))
    parser.add_argument("--baseline", metavar="TARGET")
    args = parser.parse_args()
    if args.baseline:
        _baseline_server(args.baseline)
    elif args.load:
        target, path = args.load
        figures = asyncio.run(_load(target, path, args.seconds, 0.5, args.connections))
        print(json.dumps(figures))
    else:
        main(args.seconds, args.connections, args.rounds)
