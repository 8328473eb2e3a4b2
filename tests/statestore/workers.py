"""Top-level worker functions for the multi-process tests (spawn pickles them by name)."""

from __future__ import annotations

import time

from statestore import open_store, parse_stream_id


def hammer_rate_limit(url: str, key: str, attempts: int, limit: int, window: float) -> int:
    """Try ``attempts`` hits; return how many were allowed."""
    with open_store(url) as store:
        return sum(store.hit(key, limit=limit, window=window).allowed for _ in range(attempts))


def drain_queue(url: str, queue: str) -> list[str]:
    """Claim and ack until the queue stays empty; return the ids this process got."""
    got: list[str] = []
    empty_rounds = 0
    with open_store(url) as store:
        while empty_rounds < 3:
            items = store.claim(queue, lease=60, count=3)
            if not items:
                empty_rounds += 1
                time.sleep(0.01)
                continue
            empty_rounds = 0
            for item in items:
                got.append(item.id)
                store.ack(queue, item.id)
    return got


def locked_increments(url: str, rounds: int) -> int:
    """Read-modify-write a counter under the lock; a lost update proves a broken lock."""
    with open_store(url) as store:
        for _ in range(rounds):
            with store.lock("counter", ttl=30, blocking_timeout=60):
                value = int(store.get("counter") or b"0")
                time.sleep(0.001)
                store.set("counter", str(value + 1).encode())
    return rounds


def publish_many(url: str, stream: str, publisher: int, count: int) -> list[str]:
    """Publish ``count`` entries; return their ids, checked increasing for this publisher."""
    with open_store(url) as store:
        ids = [store.publish(stream, f"{publisher}:{i}".encode()) for i in range(count)]
    keys = [parse_stream_id(i) for i in ids]
    assert keys == sorted(keys), "ids of one publisher went backwards"
    return ids


def timed_hits(
    url: str, key: str, seconds: float, limit: int, window: float
) -> list[tuple[float, float]]:
    """Hit for ``seconds``; return ``(before, after)`` wall times around each admitted hit."""
    admitted: list[tuple[float, float]] = []
    with open_store(url) as store:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            before = time.time()
            allowed = store.hit(key, limit=limit, window=window).allowed
            after = time.time()
            if allowed:
                admitted.append((before, after))
            else:
                time.sleep(0.002)
    return admitted
