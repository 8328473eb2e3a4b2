"""Stream live trades of the symbols that price rules name, from one worker at a time.

Finnhub allows one WebSocket per key, so among all workers (and all bridges on one store) the
one holding the ``bridge:stream:leader`` lease streams. It subscribes to every symbol an
enabled rule with a ``symbol`` names; marketdata publishes each trade as a ``tick`` on
``switchyard:events``, where every alert engine sees it. The lease is renewed every few seconds
and taken over by another worker when its holder stops.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from typing import TYPE_CHECKING

import marketdata

if TYPE_CHECKING:
    from alerts import RuleRepository
    from statestore import AsyncStateStore

logger = logging.getLogger(__name__)

LEADER_KEY = "bridge:stream:leader"
LEASE = 15.0
TICK = 5.0


class RuleSymbolStreamer:
    """Keeps one Finnhub trade stream open for the symbols of the price rules.

    Args:
        client: the worker's market-data client.
        store: the shared store (for the leader lease).
        repository: the alert rules.
        interval: seconds between lease renewals and rule checks.
    """

    def __init__(
        self,
        client: marketdata.AsyncMarketData,
        store: AsyncStateStore,
        repository: RuleRepository,
        *,
        interval: float = TICK,
    ) -> None:
        self.client = client
        self.store = store
        self.repository = repository
        self.interval = interval
        self.me = uuid.uuid4().hex.encode()
        self.symbols: tuple[str, ...] = ()
        self.disabled: str | None = None
        self._task: asyncio.Task[None] | None = None

    async def _wanted(self) -> tuple[str, ...]:
        rules = await asyncio.to_thread(self.repository.list)
        names = {
            str(symbol)
            for rule in rules
            if rule.enabled and (symbol := getattr(rule, "symbol", None))
        }
        return tuple(sorted(names))

    async def _lead(self) -> bool:
        if await self.store.add(LEADER_KEY, self.me, ttl=LEASE):
            return True
        if await self.store.get(LEADER_KEY) == self.me:
            await self.store.set(LEADER_KEY, self.me, ttl=LEASE)
            return True
        return False

    async def _stream(self, symbols: tuple[str, ...]) -> None:
        try:
            async for _trade in self.client.stream_trades(symbols):
                pass  # marketdata publishes every trade as a tick; nothing else to do here
        except marketdata.ConfigurationError as exc:
            self.disabled = str(exc)
            logger.info("rule symbols are not streamed", extra={"reason": str(exc)})
        except marketdata.MarketDataError:
            logger.warning("trade stream stopped", exc_info=True)

    async def _stop_stream(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._task
            self._task = None
            self.symbols = ()

    async def run(self) -> None:
        """Hold or wait for the lease, and (re)start the stream when the rule symbols change."""
        try:
            while self.disabled is None:
                try:
                    wanted = await self._wanted()
                    leading = bool(wanted) and await self._lead()
                except Exception:  # a store hiccup: keep what runs, try again later
                    logger.warning("stream leader check failed", exc_info=True)
                    await asyncio.sleep(self.interval)
                    continue
                if not leading:
                    await self._stop_stream()
                elif wanted != self.symbols or self._task is None or self._task.done():
                    await self._stop_stream()
                    self.symbols = wanted
                    self._task = asyncio.create_task(self._stream(wanted), name="bridge-stream")
                    logger.info("streaming rule symbols", extra={"symbols": list(wanted)})
                await asyncio.sleep(self.interval)
        finally:
            await self._stop_stream()
            with contextlib.suppress(Exception):
                if await self.store.get(LEADER_KEY) == self.me:
                    await self.store.delete(LEADER_KEY)
