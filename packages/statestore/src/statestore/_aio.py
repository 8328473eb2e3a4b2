"""``AsyncStateStore``: the same methods as coroutines, run in worker threads."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Self

if TYPE_CHECKING:
    from types import TracebackType

    from statestore._store import Lock, StateStore
    from statestore._types import DeadLetter, QueueItem, RateDecision, StoreInfo


class AsyncLock:
    """The async face of :class:`statestore.Lock`: ``async with store.lock(...)``."""

    def __init__(self, lock: Lock) -> None:
        self._lock = lock

    async def acquire(self) -> None:
        """Take the lock (see :meth:`Lock.acquire`); raises LockTimeoutError."""
        await asyncio.to_thread(self._lock.acquire)

    async def release(self) -> None:
        """Release the lock if held."""
        await asyncio.to_thread(self._lock.release)

    @property
    def locked(self) -> bool:
        """Whether this object currently believes it holds the lock."""
        return self._lock.locked

    async def __aenter__(self) -> Self:
        await self.acquire()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.release()


class AsyncStateStore:
    """Wrap a :class:`StateStore` for asyncio callers; each call runs in a worker thread.

    Args:
        store: the synchronous store to wrap (it is thread-safe).

    Example:
        >>> import asyncio, tempfile
        >>> from statestore import open_store
        >>> async def main() -> bytes | None:
        ...     async with AsyncStateStore(open_store(f"sqlite://{tempfile.mkdtemp()}/s")) as s:
        ...         await s.set("k", b"v")
        ...         return await s.get("k")
        >>> asyncio.run(main())
        b'v'
    """

    def __init__(self, store: StateStore) -> None:
        self.store = store

    def __repr__(self) -> str:
        return f"AsyncStateStore({self.store!r})"

    async def get(self, key: str) -> bytes | None:
        """See :meth:`StateStore.get`."""
        return await asyncio.to_thread(self.store.get, key)

    async def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """See :meth:`StateStore.set`."""
        await asyncio.to_thread(self.store.set, key, value, ttl=ttl)

    async def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """See :meth:`StateStore.add`."""
        return await asyncio.to_thread(self.store.add, key, value, ttl=ttl)

    async def delete(self, key: str) -> bool:
        """See :meth:`StateStore.delete`."""
        return await asyncio.to_thread(self.store.delete, key)

    async def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """See :meth:`StateStore.incr`."""
        return await asyncio.to_thread(self.store.incr, key, amount, ttl=ttl)

    def lock(self, name: str, *, ttl: float, blocking_timeout: float | None = None) -> AsyncLock:
        """See :meth:`StateStore.lock`; use with ``async with``."""
        return AsyncLock(self.store.lock(name, ttl=ttl, blocking_timeout=blocking_timeout))

    async def hit(self, key: str, *, limit: int, window: float, cost: int = 1) -> RateDecision:
        """See :meth:`StateStore.hit`."""
        return await asyncio.to_thread(self.store.hit, key, limit=limit, window=window, cost=cost)

    async def peek(self, key: str, *, limit: int, window: float) -> RateDecision:
        """See :meth:`StateStore.peek`."""
        return await asyncio.to_thread(self.store.peek, key, limit=limit, window=window)

    async def publish(self, stream: str, payload: bytes, *, maxlen: int = 10_000) -> str:
        """See :meth:`StateStore.publish`."""
        return await asyncio.to_thread(self.store.publish, stream, payload, maxlen=maxlen)

    async def read(
        self, stream: str, after: str | None, *, count: int = 100, block: float = 0.0
    ) -> list[tuple[str, bytes]]:
        """See :meth:`StateStore.read`; blocking happens in the worker thread."""
        return await asyncio.to_thread(self.store.read, stream, after, count=count, block=block)

    async def stream_length(self, stream: str) -> int:
        """See :meth:`StateStore.stream_length`."""
        return await asyncio.to_thread(self.store.stream_length, stream)

    async def last_id(self, stream: str) -> str | None:
        """See :meth:`StateStore.last_id`."""
        return await asyncio.to_thread(self.store.last_id, stream)

    async def enqueue(
        self, queue: str, item_id: str, payload: bytes, *, available_at: float | None = None
    ) -> bool:
        """See :meth:`StateStore.enqueue`."""
        return await asyncio.to_thread(
            self.store.enqueue, queue, item_id, payload, available_at=available_at
        )

    async def claim(self, queue: str, *, lease: float, count: int = 1) -> list[QueueItem]:
        """See :meth:`StateStore.claim`."""
        return await asyncio.to_thread(self.store.claim, queue, lease=lease, count=count)

    async def ack(self, queue: str, item_id: str) -> None:
        """See :meth:`StateStore.ack`."""
        await asyncio.to_thread(self.store.ack, queue, item_id)

    async def retry(
        self, queue: str, item_id: str, *, available_at: float, payload: bytes | None = None
    ) -> None:
        """See :meth:`StateStore.retry`."""
        await asyncio.to_thread(
            self.store.retry, queue, item_id, available_at=available_at, payload=payload
        )

    async def dead(self, queue: str, item_id: str, *, reason: str) -> None:
        """See :meth:`StateStore.dead`."""
        await asyncio.to_thread(self.store.dead, queue, item_id, reason=reason)

    async def pending(self, queue: str) -> list[QueueItem]:
        """See :meth:`StateStore.pending`."""
        return await asyncio.to_thread(self.store.pending, queue)

    async def dead_letters(self, queue: str) -> list[DeadLetter]:
        """See :meth:`StateStore.dead_letters`."""
        return await asyncio.to_thread(self.store.dead_letters, queue)

    async def info(self) -> StoreInfo:
        """See :meth:`StateStore.info`."""
        return await asyncio.to_thread(self.store.info)

    async def close(self) -> None:
        """Close the wrapped store."""
        await asyncio.to_thread(self.store.close)

    async def aclose(self) -> None:
        """Alias of :meth:`close`, after httpx's ``aclose``."""
        await self.close()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
