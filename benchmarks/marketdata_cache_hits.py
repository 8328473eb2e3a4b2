"""Cache-hit cost: what a fresh cached quote costs through marketdata, as ratios to a bare
``cachetools`` lookup and a bare ``diskcache`` get of the same payload.

- in process (L1): ``MarketData.quote`` (sync) and ``AsyncMarketData.quote`` on a warm cache;
- across processes (L2): the entry was written by another client, this one's L1 is empty, so
  every call reads the shared SQLite store (``AsyncMarketData`` direct, and ``MarketData``
  which also hops to its loop thread).

Run: python benchmarks/marketdata_cache_hits.py [--n 20000]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

import diskcache
import httpx
from cachetools import TTLCache
from pydantic import SecretStr

from marketdata import AsyncMarketData, MarketData, MarketDataSettings
from statestore import open_store

if TYPE_CHECKING:
    from collections.abc import Callable

QUOTE = b'{"c":162.74,"d":2.67,"dp":1.668,"h":162.85,"l":152,"o":152.58,"pc":160.07,"t":1645736402}'


def per_call(n: int, call: Callable[[], object]) -> float:
    for _ in range(min(n, 500)):
        call()
    start = time.perf_counter()
    for _ in range(n):
        call()
    return (time.perf_counter() - start) / n


def async_per_call(n: int, make: Callable[[], object]) -> float:
    async def loop() -> float:
        for _ in range(min(n, 200)):
            await make()  # type: ignore[misc]
        start = time.perf_counter()
        for _ in range(n):
            await make()  # type: ignore[misc]
        return (time.perf_counter() - start) / n

    return asyncio.run(loop())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=20_000)
    args = parser.parse_args()
    n = args.n
    transport = httpx.MockTransport(lambda request: httpx.Response(200, content=QUOTE))
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        store = open_store(f"sqlite://{root / 'state'}")
        settings = MarketDataSettings(
            _env_file=None,
            home=root,
            finnhub_api_key=SecretStr("BENCHKEY"),
            finnhub_url="http://fh.test/api/v1",
            ttl_quote=3600,
            ttl_quote_closed=3600,
        )
        with MarketData(settings, store=store, transport=transport) as md:
            quote = md.quote("AAPL")
            sync_l1 = per_call(n, lambda: md.quote("AAPL"))

            def l2_sync() -> object:
                md._async.core.l1.clear()
                return md.quote("AAPL")

            sync_l2 = per_call(max(n // 10, 200), l2_sync)

        async def async_figures() -> tuple[float, float]:
            async with AsyncMarketData(settings, store=store, transport=transport) as amd:
                await amd.quote("AAPL")
                start = time.perf_counter()
                for _ in range(n):
                    await amd.quote("AAPL")
                l1 = (time.perf_counter() - start) / n
                count = max(n // 10, 200)
                start = time.perf_counter()
                for _ in range(count):
                    amd.core.l1.clear()
                    await amd.quote("AAPL")
                return l1, (time.perf_counter() - start) / count

        async_l1, async_l2 = asyncio.run(async_figures())
        store.close()

        ttl: TTLCache[str, object] = TTLCache(maxsize=4096, ttl=3600)
        ttl["quote|AAPL"] = quote
        bare_cachetools = per_call(n * 5, lambda: ttl["quote|AAPL"])
        disk = diskcache.Cache(str(root / "bare-diskcache"))
        payload = quote.model_dump_json().encode()
        disk.set("quote|AAPL", payload, expire=3600)
        bare_diskcache = per_call(n, lambda: disk.get("quote|AAPL"))
        disk.close()

    rows = [
        ("bare cachetools TTLCache lookup", bare_cachetools),
        ("bare diskcache get", bare_diskcache),
        ("MarketData.quote, L1 hit (in process)", sync_l1),
        ("AsyncMarketData.quote, L1 hit (in process)", async_l1),
        ("AsyncMarketData.quote, L2 hit (cross-process)", async_l2),
        ("MarketData.quote, L2 hit (cross-process)", sync_l2),
    ]
    print(f"cache-hit cost, n={n}")
    print(f"{'path':<48}{'us/call':>10}{'x cachetools':>14}{'x diskcache':>13}")
    for name, seconds in rows:
        print(
            f"{name:<48}{seconds * 1e6:>10.2f}{seconds / bare_cachetools:>14.1f}"
            f"{seconds / bare_diskcache:>13.2f}"
        )


if __name__ == "__main__":
    main()
