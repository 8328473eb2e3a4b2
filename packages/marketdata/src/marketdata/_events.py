"""Tick events: in-process subscribers (callbacks, async iterators) and the shared stream."""

from __future__ import annotations

import asyncio
import json
import logging
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import suppress

from marketdata._models import Tick
from statestore import StateStore, StateStoreError

logger = logging.getLogger(__name__)

EVENTS_STREAM = "switchyard:events"
Callback = Callable[[Tick], object]


class Subscription:
    """A handle returned by ``subscribe``; call :meth:`cancel` (or use ``with``) to stop."""

    def __init__(self, bus: EventBus, callback: Callback) -> None:
        self._bus = bus
        self._callback = callback

    def cancel(self) -> None:
        """Stop receiving ticks (idempotent)."""
        self._bus._remove(self._callback)

    def __enter__(self) -> Subscription:
        return self

    def __exit__(self, *exc: object) -> None:
        self.cancel()


class EventBus:
    """Fan ticks out to callbacks, async iterators and the cross-process stream.

    A failing subscriber never stops the others: its exception is logged with the
    traceback and delivery carries on.
    """

    def __init__(self, store: StateStore | None, *, maxlen: int = 10_000) -> None:
        self._store = store
        self._maxlen = maxlen
        self._callbacks: list[Callback] = []
        self._lock = threading.Lock()

    def subscribe(self, callback: Callback) -> Subscription:
        """Call ``callback(tick)`` for every fresh tick, in the thread that produced it."""
        with self._lock:
            self._callbacks.append(callback)
        return Subscription(self, callback)

    def _remove(self, callback: Callback) -> None:
        with self._lock, suppress(ValueError):
            self._callbacks.remove(callback)

    async def iterate(self, *, maxsize: int = 1000) -> AsyncIterator[Tick]:
        """Yield every fresh tick from now on (drops the oldest when a reader lags)."""
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[Tick] = asyncio.Queue(maxsize=maxsize)

        def deliver(tick: Tick) -> None:
            def put() -> None:
                if queue.full():
                    queue.get_nowait()
                queue.put_nowait(tick)

            try:
                if asyncio.get_running_loop() is loop:
                    put()
                    return
            except RuntimeError:
                pass
            with suppress(RuntimeError):  # loop closed: the iterator is gone
                loop.call_soon_threadsafe(put)

        subscription = self.subscribe(deliver)
        try:
            while True:
                yield await queue.get()
        finally:
            subscription.cancel()

    def publish_local(self, tick: Tick) -> None:
        """Deliver to in-process subscribers only."""
        with self._lock:
            callbacks = list(self._callbacks)
        for callback in callbacks:
            try:
                callback(tick)
            except Exception:
                logger.warning(
                    "marketdata tick subscriber failed", exc_info=True, extra={"tick": tick.symbol}
                )

    def publish_shared(self, tick: Tick) -> None:
        """Append the tick to the ``switchyard:events`` stream (errors are logged, not raised)."""
        if self._store is None:
            return
        payload = json.dumps(tick.to_event(), separators=(",", ":")).encode()
        try:
            self._store.publish(EVENTS_STREAM, payload, maxlen=self._maxlen)
        except StateStoreError:
            logger.warning("marketdata could not publish tick", exc_info=True)
