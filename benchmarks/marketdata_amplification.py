"""Upstream amplification: 4 processes x 50 concurrent callers x 20 overlapping symbols.

Every caller asks for every symbol (in its own order) at the same moment, against the local
Finnhub emulator answering with 50 ms latency. The figure of merit is upstream calls per
distinct datum (ideal 1.00), for marketdata (one SQLite state store shared by the four
processes) beside the same load through plain httpx and the official finnhub-python client.

Run: python benchmarks/marketdata_amplification.py [--processes 4 --callers 50 --symbols 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

SYMBOLS = [
    "IBM", "AAPL", "MSFT", "AMZN", "GOOGL", "META", "NVDA", "TSLA", "BRK.B", "JPM",
    "V", "JNJ", "WMT", "PG", "MA", "XOM", "HD", "KO", "PEP", "DIS",
    "CSCO", "ORCL", "INTC", "ADBE", "CRM", "NFLX", "T", "VZ", "PFE", "MRK",
]  # fmt: skip
KEY = "BENCHKEY123"


def ready_and_wait() -> None:
    """Tell the parent this worker is warm, then wait for its common start time."""
    print("ready", flush=True)
    start_at = float(sys.stdin.readline())
    time.sleep(max(0.0, start_at - time.time()))


def order(symbols: list[str], caller: int) -> list[str]:
    shuffled = list(symbols)
    random.Random(caller).shuffle(shuffled)
    return shuffled


async def run_marketdata(
    url: str, state: str, namespace: str, callers: int, symbols: list[str]
) -> int:
    from pydantic import SecretStr

    from marketdata import AsyncMarketData, MarketDataSettings
    from statestore import open_store

    store = open_store(f"sqlite://{state}")
    settings = MarketDataSettings(
        _env_file=None,
        namespace=namespace,
        providers="finnhub",
        finnhub_url=url,
        finnhub_api_key=SecretStr(KEY),
    )
    async with AsyncMarketData(settings, store=store) as md:
        ready_and_wait()

        async def caller(n: int) -> int:
            for symbol in order(symbols, n):
                await md.quote(symbol)
            return len(symbols)

        done = sum(await asyncio.gather(*(caller(n) for n in range(callers))))
    store.close()
    return done


async def run_httpx(url: str, callers: int, symbols: list[str]) -> int:
    import httpx

    limits = httpx.Limits(max_connections=callers)
    async with httpx.AsyncClient(limits=limits, timeout=30) as client:
        ready_and_wait()

        async def caller(n: int) -> int:
            for symbol in order(symbols, n):
                response = await client.get(
                    f"{url}/quote", params={"symbol": symbol}, headers={"X-Finnhub-Token": KEY}
                )
                response.raise_for_status()
            return len(symbols)

        return sum(await asyncio.gather(*(caller(n) for n in range(callers))))


def run_finnhub(url: str, callers: int, symbols: list[str]) -> int:
    import finnhub

    done = [0] * callers

    def caller(n: int) -> None:
        client = finnhub.Client(api_key=KEY)
        client.API_URL = url
        for symbol in order(symbols, n):
            client.quote(symbol)
            done[n] += 1
        client.close()

    threads = [threading.Thread(target=caller, args=(n,)) for n in range(callers)]
    ready_and_wait()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(done)


def worker(args: argparse.Namespace) -> None:
    symbols = SYMBOLS[: args.symbols]
    if args.mode == "marketdata":
        done = asyncio.run(
            run_marketdata(args.url, args.state, args.namespace, args.callers, symbols)
        )
    elif args.mode == "httpx":
        done = asyncio.run(run_httpx(args.url, args.callers, symbols))
    else:
        done = run_finnhub(args.url, args.callers, symbols)
    print(json.dumps({"answers": done, "finished": time.time()}))


def measure(mode: str, args: argparse.Namespace, root: Path) -> dict[str, float]:
    from marketdata.testing import FinnhubEmulator
    from statestore import open_store

    state = root / f"state-{mode}"
    open_store(f"sqlite://{state}").close()
    with FinnhubEmulator(latency=args.latency) as emulator:
        command = [
            sys.executable, __file__, "--worker", "--mode", mode, "--url", emulator.url,
            "--state", str(state), "--namespace", f"bench{uuid.uuid4().hex[:8]}",
            "--callers", str(args.callers), "--symbols", str(args.symbols),
        ]  # fmt: skip
        env = {**os.environ, "SWITCHYARD_HOME": str(root)}
        processes = [
            subprocess.Popen(
                command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env
            )
            for _ in range(args.processes)
        ]
        for process in processes:  # every worker has imported its libraries and is warm
            assert process.stdout is not None
            if process.stdout.readline().strip() != "ready":
                raise SystemExit(f"{mode} worker did not start")
        start_at = time.time() + 0.2
        for process in processes:
            assert process.stdin is not None
            process.stdin.write(f"{start_at}\n")
            process.stdin.flush()
        results = []
        for process in processes:
            out, _ = process.communicate(timeout=600)
            if process.returncode != 0:
                raise SystemExit(f"{mode} worker failed")
            results.append(json.loads(out))
        calls = emulator.count("quote")
    return {
        "answers": sum(r["answers"] for r in results),
        "calls": calls,
        "seconds": max(r["finished"] for r in results) - start_at,
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument("--callers", type=int, default=50)
    parser.add_argument("--symbols", type=int, default=20)
    parser.add_argument("--latency", type=float, default=0.05)
    parser.add_argument("--worker", action="store_true")
    parser.add_argument("--mode", default="marketdata")
    parser.add_argument("--url", default="")
    parser.add_argument("--state", default="")
    parser.add_argument("--namespace", default="bench")
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    distinct = args.symbols
    print(
        f"upstream amplification: {args.processes} processes x {args.callers} callers x "
        f"{args.symbols} symbols, emulator latency {args.latency * 1000:.0f} ms"
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for mode in ("marketdata", "httpx", "finnhub-python"):
            figures = measure(mode, args, Path(tmp))
            rows.append((mode, figures))
    print(f"{'client':<16}{'answers':>9}{'upstream':>10}{'calls/datum':>13}{'wall s':>9}")
    for mode, figures in rows:
        print(
            f"{mode:<16}{figures['answers']:>9.0f}{figures['calls']:>10.0f}"
            f"{figures['calls'] / distinct:>13.2f}{figures['seconds']:>9.2f}"
        )
    baseline = rows[1][1]["calls"]
    print(f"marketdata upstream calls vs plain httpx: {rows[0][1]['calls'] / baseline:.4f}x")


if __name__ == "__main__":
    main()
