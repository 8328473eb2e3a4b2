"""A worker process for the multi-process tests: many concurrent callers on one store.

Run as ``python -m tests.marketdata.worker STATE_DIR_OR_URL NAMESPACE CALLERS SYMBOL...`` with the
``MARKETDATA_*_URL`` variables pointing at the emulators; prints one JSON line of results.
"""

from __future__ import annotations

import asyncio
import json
import sys

from pydantic import SecretStr

from marketdata import AsyncMarketData, MarketDataSettings
from statestore import open_store


async def main(state: str, namespace: str, callers: int, symbols: list[str]) -> dict[str, str]:
    store = open_store(state if "://" in state else f"sqlite://{state}")
    settings = MarketDataSettings(
        namespace=namespace,
        alphavantage_api_key=SecretStr("AVWORKERKEY1"),
        finnhub_api_key=SecretStr("FHWORKERKEY1"),
        finnhub_per_second=1000,
        finnhub_per_minute=10_000,
    )
    try:
        async with AsyncMarketData(settings, store=store) as md:
            quotes = await asyncio.gather(
                *(md.quote(symbols[i % len(symbols)]) for i in range(callers))
            )
    finally:
        store.close()
    return {q.symbol: str(q.price) for q in quotes}


if __name__ == "__main__":
    state, namespace, callers, *symbols = sys.argv[1:]
    print(json.dumps(asyncio.run(main(state, namespace, int(callers), symbols))))
