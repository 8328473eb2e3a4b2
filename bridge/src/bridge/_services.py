"""What the bridge runs behind its routes, started and stopped in the app's lifespan."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import TYPE_CHECKING, Any

from bridge import _metrics
from bridge._schemas import CheckPublic
from marketdata import AsyncMarketData
from statestore import AsyncStateStore, StateStore, open_store

if TYPE_CHECKING:
    from bridge._settings import Settings

logger = logging.getLogger(__name__)

EVENTS_STREAM = "switchyard:events"


class Services:
    """The shared state store and the package clients, one set per worker process.

    Args:
        settings: the bridge settings.
        store: the shared state store (owned: closed by `aclose`).
    """

    def __init__(self, settings: Settings, store: StateStore, marketdata: AsyncMarketData) -> None:
        self.settings = settings
        self.store = store
        self.astore = AsyncStateStore(store)
        self.marketdata = marketdata
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        """Open the state store and start the background work.

        Args:
            settings: the bridge settings.

        Returns:
            The running services.
        """
        url = settings.state_url.get_secret_value() if settings.state_url else None
        store = (
            await asyncio.to_thread(open_store, url) if url else await asyncio.to_thread(open_store)
        )
        try:
            # One client per worker: its in-process cache and coalescing serve every request.
            marketdata = await asyncio.to_thread(AsyncMarketData, store=store)
        except BaseException:
            store.close()
            raise
        return cls(settings, store, marketdata)

    def spawn(self, coro: Any, name: str) -> None:
        """Run ``coro`` in the background until `aclose`; a crash is logged, not raised."""
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    @staticmethod
    def _on_task_done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "background task stopped",
                exc_info=task.exception(),
                extra={"task": task.get_name()},
            )

    async def publish_event(self, event: dict[str, Any]) -> str:
        """Publish one event to the shared stream ``switchyard:events``.

        Args:
            event: a JSON-serialisable mapping with a ``type``.

        Returns:
            The stream id.
        """
        payload = json.dumps(event, separators=(",", ":"), default=str).encode()
        stream_id = await self.astore.publish(EVENTS_STREAM, payload)
        _metrics.EVENTS_PUBLISHED.labels(str(event.get("type", "unknown"))).inc()
        return stream_id

    async def health_checks(self) -> list[CheckPublic]:
        """Run every health check; none raises (a failing check is reported as ``fail``)."""
        return [await self._check_state_store()]

    async def _check_state_store(self) -> CheckPublic:
        key = f"bridge:health:{os.getpid()}"
        begin = time.perf_counter()
        try:
            await self.astore.set(key, b"1", ttl=60)
            value = await self.astore.get(key)
        except Exception as exc:  # the check reports every failure, whatever its type
            return CheckPublic(name="state_store", status="fail", detail=type(exc).__name__)
        if value != b"1":
            return CheckPublic(name="state_store", status="fail", detail="read back mismatch")
        took = (time.perf_counter() - begin) * 1000
        return CheckPublic(name="state_store", status="ok", detail=f"round trip {took:.1f} ms")

    async def aclose(self) -> None:
        """Stop the background work and close the store."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await self.marketdata.aclose()
        await asyncio.to_thread(self.store.close)
