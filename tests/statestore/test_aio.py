"""AsyncStateStore: the same behaviour as coroutines."""

from __future__ import annotations

import asyncio
import inspect

import pytest

from statestore import AsyncStateStore, LockTimeoutError, StateStore


def test_async_face_mirrors_the_sync_one() -> None:
    sync_methods = {n for n, v in vars(StateStore).items() if not n.startswith("_") and callable(v)}
    async_methods = {n for n, v in vars(AsyncStateStore).items() if not n.startswith("_")}
    assert sync_methods <= async_methods
    for name in sync_methods - {"lock"}:
        assert inspect.iscoroutinefunction(getattr(AsyncStateStore, name)), name


class TestAsync:
    def test_round_trip_of_every_kind(self, store: StateStore) -> None:
        async def scenario() -> None:
            astore = AsyncStateStore(store)
            await astore.set("k", b"v", ttl=30)
            assert await astore.get("k") == b"v"
            assert await astore.add("k", b"w") is False
            assert await astore.incr("n", 2) == 2
            assert await astore.delete("k") is True
            assert (await astore.hit("r", limit=1, window=60)).allowed
            assert not (await astore.peek("r", limit=1, window=60)).allowed
            first = await astore.publish("s", b"e1")
            assert await astore.read("s", None) == [(first, b"e1")]
            assert await astore.last_id("s") == first
            assert await astore.stream_length("s") == 1
            assert await astore.enqueue("q", "i", b"p")
            (item,) = await astore.claim("q", lease=30)
            await astore.retry("q", item.id, available_at=0)
            assert [i.id for i in await astore.pending("q")] == ["i"]
            await astore.dead("q", "i", reason="r")
            assert [d.id for d in await astore.dead_letters("q")] == ["i"]
            await astore.ack("q", "none")
            assert (await astore.info()).streams == {"s": 1}

        asyncio.run(scenario())

    def test_async_lock_excludes_and_times_out(self, store: StateStore) -> None:
        async def scenario() -> None:
            astore = AsyncStateStore(store)
            async with astore.lock("L", ttl=10) as held:
                assert held.locked
                with pytest.raises(LockTimeoutError):
                    await astore.lock("L", ttl=10, blocking_timeout=0.05).acquire()

        asyncio.run(scenario())

    def test_blocking_read_does_not_block_the_loop(self, store: StateStore) -> None:
        async def scenario() -> list[tuple[str, bytes]]:
            astore = AsyncStateStore(store)
            old = await astore.publish("s", b"old")
            reader = asyncio.create_task(astore.read("s", old, block=5))
            await asyncio.sleep(0.1)  # the loop keeps running while the read waits
            await astore.publish("s", b"hello")
            return await asyncio.wait_for(reader, 5)

        assert [p for _, p in asyncio.run(scenario())] == [b"hello"]
