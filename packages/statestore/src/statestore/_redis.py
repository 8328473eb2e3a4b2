"""The Redis backend: every multi-step operation is one Lua script, hence atomic.

Keys (``<p>`` is the prefix, ``statestore`` by default)::

    <p>:kv:<key>                 string        get/set/add/incr
    <p>:lock:<name>              string        lock token (SET NX PX; compare-and-delete)
    <p>:rate:<key>               sorted set    one member per admitted hit, scored by server TIME
    <p>:ratesum:<key>            string        the sum of their costs
    <p>:stream:<name>            stream        XADD/XREAD; <p>:streams lists the names
    <p>:q:<queue>:ready          sorted set    pending ids, scored by when they may be claimed
    <p>:q:<queue>:leased         sorted set    leased ids, scored by lease expiry
    <p>:q:<queue>:dead           sorted set    dead ids, scored by when they died
    <p>:q:<queue>:item:<id>      hash          payload, attempts, available_at, state, reason
    <p>:q:<queue>:done:<id>      string        tombstone of an acknowledged id (expires)
    <p>:queues                   set           queue names
"""

from __future__ import annotations

import contextlib
import logging
import time
import uuid
from typing import TYPE_CHECKING, Any, cast

import redis

from statestore._exceptions import StateStoreError, StateStoreUnavailableError
from statestore._store import (
    DEFAULT_DONE_RETENTION,
    StateStore,
    check_rate,
    check_ttl,
    parse_stream_id,
)
from statestore._types import DeadLetter, QueueItem, QueueStats, RateDecision, StoreInfo
from statestore._url import mask_url

if TYPE_CHECKING:
    from collections.abc import Iterator

logger = logging.getLogger(__name__)

_INCR = """
local existed = redis.call('EXISTS', KEYS[1])
local value = redis.call('INCRBY', KEYS[1], ARGV[1])
if existed == 0 and ARGV[2] ~= '' then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return value
"""

_UNLOCK = """
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
"""

# KEYS: zset of admitted hits, running sum of their costs; ARGV: limit, window, cost, member,
# consume ('1' or '0'). The sum keeps a hit O(log n) however large the limit; it is rebuilt
# from the zset whenever the two disagree (e.g. one expired before the other).
_RATE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local limit, window, cost = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local function cost_of(member) return tonumber(string.match(member, ':(%d+)$')) end
local old = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now - window)
local used = tonumber(redis.call('GET', KEYS[2]) or '0')
if #old > 0 then
  for i = 1, #old do used = used - cost_of(old[i]) end
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - window)
end
local count = redis.call('ZCARD', KEYS[1])
if used < 0 or (count == 0) ~= (used == 0) then
  used = 0
  for _, member in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do used = used + cost_of(member) end
end
local ttl = math.ceil(window * 1000) + 1000
if used + cost <= limit then
  if ARGV[5] == '1' then
    redis.call('ZADD', KEYS[1], now, ARGV[4] .. ':' .. cost)
    redis.call('SET', KEYS[2], used + cost, 'PX', ttl)
    redis.call('PEXPIRE', KEYS[1], ttl)
    return {1, tostring(limit - used - cost), '0'}
  end
  redis.call('SET', KEYS[2], used, 'PX', ttl)
  return {1, tostring(limit - used), '0'}
end
redis.call('SET', KEYS[2], used, 'PX', ttl)
local need, freed, retry, offset = used + cost - limit, 0, window, 0
while freed < need do
  local page = redis.call('ZRANGE', KEYS[1], offset, offset + 99, 'WITHSCORES')
  if #page == 0 then break end
  for i = 1, #page, 2 do
    freed = freed + cost_of(page[i])
    if freed >= need then retry = tonumber(page[i + 1]) + window - now; break end
  end
  offset = offset + 100
end
if retry < 0 then retry = 0 end
return {0, tostring(limit - used), string.format('%.6f', retry)}
"""

# KEYS: item, done, ready, queues; ARGV: id, payload, available_at ('' = server now), queue
_ENQUEUE = """
if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] == '' then
  local t = redis.call('TIME')
  ARGV[3] = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
end
redis.call('HSET', KEYS[1], 'id', ARGV[1], 'payload', ARGV[2], 'attempts', 0,
           'available_at', ARGV[3],
           'state', 'P')
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[4])
return 1
"""

# KEYS: ready, leased; ARGV: lease seconds, count, item key prefix. Leases run on the server's
# clock, so clients on hosts with skewed clocks never see a live lease as expired.
_CLAIM = """
local t = redis.call('TIME')
local now = tonumber(t[1]) + tonumber(t[2]) / 1000000
local lease_until = string.format('%.6f', now + tonumber(ARGV[1]))
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', string.format('%.6f', now),
                       'LIMIT', 0, tonumber(ARGV[2]))
local out = {}
for _, id in ipairs(ids) do
  local key = ARGV[3] .. id
  local attempts = redis.call('HINCRBY', key, 'attempts', 1)
  redis.call('HSET', key, 'leased_until', lease_until)
  redis.call('ZADD', KEYS[1], lease_until, id)
  redis.call('ZADD', KEYS[2], lease_until, id)
  local f = redis.call('HMGET', key, 'payload', 'available_at')
  out[#out + 1] = {id, f[1], attempts, f[2]}
end
return {lease_until, out}
"""

# KEYS: item, ready, leased, done; ARGV: id, retention_ms
_ACK = """
if redis.call('HGET', KEYS[1], 'state') ~= 'P' then return 0 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('SET', KEYS[4], '1', 'PX', ARGV[2])
return 1
"""

# KEYS: item, ready, leased; ARGV: id, available_at, payload, has_payload
_RETRY = """
if redis.call('HGET', KEYS[1], 'state') ~= 'P' then return 0 end
redis.call('HSET', KEYS[1], 'available_at', ARGV[2])
redis.call('HDEL', KEYS[1], 'leased_until')
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'payload', ARGV[3]) end
redis.call('ZADD', KEYS[2], ARGV[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
return 1
"""

# KEYS: item, ready, leased, dead; ARGV: id, reason
_DEAD = """
if redis.call('HGET', KEYS[1], 'state') ~= 'P' then return 0 end
local t = redis.call('TIME')
ARGV[3] = string.format('%.6f', tonumber(t[1]) + tonumber(t[2]) / 1000000)
redis.call('HSET', KEYS[1], 'state', 'X', 'reason', ARGV[2], 'dead_at', ARGV[3])
redis.call('HDEL', KEYS[1], 'leased_until')
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZADD', KEYS[4], ARGV[3], ARGV[1])
return 1
"""

_MAX_BLOCK_CHUNK = 10.0  # seconds per XREAD BLOCK, below the socket timeout


class RedisStateStore(StateStore):
    """State in a Redis database, shared by processes on any number of hosts.

    Args:
        url: ``redis://[:password@]host:port/db`` (``rediss://`` for TLS, ``unix://`` sockets).
        prefix: the namespace of every key this store writes.
        done_retention: seconds an acknowledged queue id is remembered for deduplication.
        socket_timeout: seconds to wait for a reply before :class:`StateStoreUnavailableError`.

    Raises:
        StateStoreUnavailableError: Redis does not answer a PING.
    """

    backend = "redis"

    def __init__(
        self,
        url: str,
        *,
        prefix: str = "statestore",
        done_retention: float = DEFAULT_DONE_RETENTION,
        socket_timeout: float = 30.0,
    ) -> None:
        self._masked = mask_url(url)
        self._prefix = prefix
        self._done_retention_ms = max(int(done_retention * 1000), 1)
        self._socket_timeout = socket_timeout
        self._closed = False
        with self._errors():
            self._client = redis.Redis.from_url(
                url, socket_timeout=socket_timeout, socket_connect_timeout=5.0
            )
            self._client.ping()
        self._incr = self._client.register_script(_INCR)
        self._unlock_script = self._client.register_script(_UNLOCK)
        self._rate = self._client.register_script(_RATE)
        self._enqueue = self._client.register_script(_ENQUEUE)
        self._claim = self._client.register_script(_CLAIM)
        self._ack = self._client.register_script(_ACK)
        self._retry = self._client.register_script(_RETRY)
        self._dead = self._client.register_script(_DEAD)

    def __repr__(self) -> str:
        return f"RedisStateStore(url={self._masked!r}, prefix={self._prefix!r})"

    # ----- plumbing ----------------------------------------------------------------------
    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        if self._closed:
            raise StateStoreError("state store is closed")
        try:
            yield
        except (redis.ConnectionError, redis.TimeoutError) as exc:
            raise StateStoreUnavailableError(f"redis at {self._masked}: {exc}") from None
        except redis.ResponseError as exc:
            if "not an integer" in str(exc):
                raise ValueError("the key does not hold an integer") from None
            raise StateStoreError(f"redis at {self._masked}: {exc}") from None
        except redis.RedisError as exc:
            raise StateStoreError(f"redis at {self._masked}: {exc}") from None

    def _k(self, *parts: str) -> str:
        return ":".join((self._prefix, *parts))

    def _q(self, queue: str, part: str, item_id: str | None = None) -> str:
        return self._k("q", queue, part) if item_id is None else self._k("q", queue, part, item_id)

    # ----- key/value ---------------------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        with self._errors():
            return cast("bytes | None", self._client.get(self._k("kv", key)))

    def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        check_ttl(ttl)
        with self._errors():
            self._client.set(self._k("kv", key), bytes(value), px=_ms(ttl))

    def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        check_ttl(ttl)
        with self._errors():
            return bool(self._client.set(self._k("kv", key), bytes(value), nx=True, px=_ms(ttl)))

    def delete(self, key: str) -> bool:
        with self._errors():
            return bool(self._client.delete(self._k("kv", key)))

    def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        check_ttl(ttl)
        ttl_ms = _ms(ttl)
        with self._errors():
            value = self._incr(keys=[self._k("kv", key)], args=[amount, ttl_ms or ""])
        return int(value)

    def _try_lock(self, name: str, token: str, ttl: float) -> bool:
        with self._errors():
            return bool(self._client.set(self._k("lock", name), token, nx=True, px=_ms(ttl)))

    def _unlock(self, name: str, token: str) -> bool:
        with self._errors():
            return bool(self._unlock_script(keys=[self._k("lock", name)], args=[token]))

    # ----- rate limits -------------------------------------------------------------------
    def _rate_call(self, key: str, limit: int, window: float, cost: int, consume: bool) -> Any:
        with self._errors():
            allowed, remaining, retry = self._rate(
                keys=[self._k("rate", key), self._k("ratesum", key)],
                args=[limit, repr(float(window)), cost, uuid.uuid4().hex, "1" if consume else "0"],
            )
        return RateDecision(bool(allowed), int(remaining), float(retry))

    def hit(self, key: str, *, limit: int, window: float, cost: int = 1) -> RateDecision:
        check_rate(limit, window, cost)
        return cast("RateDecision", self._rate_call(key, limit, window, cost, consume=True))

    def peek(self, key: str, *, limit: int, window: float) -> RateDecision:
        check_rate(limit, window)
        return cast("RateDecision", self._rate_call(key, limit, window, 1, consume=False))

    # ----- streams -----------------------------------------------------------------------
    def publish(self, stream: str, payload: bytes, *, maxlen: int = 10_000) -> str:
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, got {maxlen!r}")
        with self._errors():
            pipe = self._client.pipeline(transaction=True)
            # MAXLEN ~ trims whole nodes (100 entries); small streams are trimmed exactly.
            pipe.xadd(
                self._k("stream", stream),
                {"d": bytes(payload)},
                maxlen=maxlen,
                approximate=maxlen >= 1000,
            )
            pipe.sadd(self._k("streams"), stream)
            entry_id, _ = pipe.execute()
        return _text(entry_id)

    def read(
        self, stream: str, after: str | None, *, count: int = 100, block: float = 0.0
    ) -> list[tuple[str, bytes]]:
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        if after == "$":
            after = self.last_id(stream) or "0-0"
        elif after is not None:
            parse_stream_id(after)
        cursor = after or "0-0"
        key = self._k("stream", stream)
        deadline = time.monotonic() + max(block, 0.0)
        while True:
            remaining = deadline - time.monotonic()
            block_ms = int(min(remaining, _MAX_BLOCK_CHUNK) * 1000) if remaining > 0 else None
            with self._errors():
                reply = cast(
                    "list[tuple[bytes, list[tuple[bytes, dict[bytes, bytes]]]]] | None",
                    self._client.xread(
                        {key: cursor}, count=count, block=block_ms if block_ms else None
                    ),
                )
            entries = [(_text(i), bytes(f[b"d"])) for _, items in reply or [] for i, f in items]
            if entries or deadline - time.monotonic() <= 0:
                return entries

    def stream_length(self, stream: str) -> int:
        with self._errors():
            return int(self._client.xlen(self._k("stream", stream)))

    def last_id(self, stream: str) -> str | None:
        with self._errors():
            newest = cast(
                "list[tuple[bytes, dict[bytes, bytes]]]",
                self._client.xrevrange(self._k("stream", stream), count=1),
            )
        return _text(newest[0][0]) if newest else None

    # ----- queues ------------------------------------------------------------------------
    def enqueue(
        self, queue: str, item_id: str, payload: bytes, *, available_at: float | None = None
    ) -> bool:
        when = "" if available_at is None else repr(float(available_at))
        keys = [
            self._q(queue, "item", item_id),
            self._q(queue, "done", item_id),
            self._q(queue, "ready"),
            self._k("queues"),
        ]
        with self._errors():
            return bool(self._enqueue(keys=keys, args=[item_id, bytes(payload), when, queue]))

    def claim(self, queue: str, *, lease: float, count: int = 1) -> list[QueueItem]:
        check_ttl(lease, "lease")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        with self._errors():
            until, rows = self._claim(
                keys=[self._q(queue, "ready"), self._q(queue, "leased")],
                args=[repr(float(lease)), count, self._q(queue, "item") + ":"],
            )
        leased_until = float(until)
        return [
            QueueItem(_text(i), bytes(p), int(a), float(at), leased_until) for i, p, a, at in rows
        ]

    def ack(self, queue: str, item_id: str) -> None:
        keys = [
            self._q(queue, "item", item_id),
            self._q(queue, "ready"),
            self._q(queue, "leased"),
            self._q(queue, "done", item_id),
        ]
        with self._errors():
            done = self._ack(keys=keys, args=[item_id, self._done_retention_ms])
        if not done:
            logger.warning("statestore ack of unknown item", extra={"queue": queue, "id": item_id})

    def retry(
        self, queue: str, item_id: str, *, available_at: float, payload: bytes | None = None
    ) -> None:
        keys = [
            self._q(queue, "item", item_id),
            self._q(queue, "ready"),
            self._q(queue, "leased"),
        ]
        body = b"" if payload is None else bytes(payload)
        flag = "0" if payload is None else "1"
        with self._errors():
            done = self._retry(keys=keys, args=[item_id, repr(available_at), body, flag])
        if not done:
            logger.warning(
                "statestore retry of unknown item", extra={"queue": queue, "id": item_id}
            )

    def dead(self, queue: str, item_id: str, *, reason: str) -> None:
        keys = [
            self._q(queue, "item", item_id),
            self._q(queue, "ready"),
            self._q(queue, "leased"),
            self._q(queue, "dead"),
        ]
        with self._errors():
            done = self._dead(keys=keys, args=[item_id, reason])
        if not done:
            logger.warning("statestore dead of unknown item", extra={"queue": queue, "id": item_id})

    def _items(self, queue: str, ids: list[bytes]) -> list[dict[bytes, bytes]]:
        with self._errors():
            pipe = self._client.pipeline(transaction=False)
            for item_id in ids:
                pipe.hgetall(self._q(queue, "item", _text(item_id)))
            return [h for h in pipe.execute() if h]

    def pending(self, queue: str) -> list[QueueItem]:
        with self._errors():
            ids = cast("list[bytes]", self._client.zrange(self._q(queue, "ready"), 0, -1))
        now = time.time()
        items = []
        for h in self._items(queue, ids):
            leased = float(h[b"leased_until"]) if b"leased_until" in h else None
            items.append(
                QueueItem(
                    _text(h[b"id"]) if b"id" in h else "",
                    bytes(h[b"payload"]),
                    int(h[b"attempts"]),
                    float(h[b"available_at"]),
                    leased if leased is not None and leased > now else None,
                )
            )
        return sorted(items, key=lambda i: i.available_at)

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        with self._errors():
            ids = cast("list[bytes]", self._client.zrange(self._q(queue, "dead"), 0, -1))
        return [
            DeadLetter(
                _text(h[b"id"]) if b"id" in h else "",
                bytes(h[b"payload"]),
                int(h[b"attempts"]),
                _text(h.get(b"reason", b"")),
                float(h[b"dead_at"]),
            )
            for h in self._items(queue, ids)
        ]

    # ----- housekeeping ------------------------------------------------------------------
    def info(self) -> StoreInfo:
        now = repr(time.time())
        with self._errors():
            streams = sorted(_text(s) for s in self._client.smembers(self._k("streams")))
            queues = sorted(_text(q) for q in self._client.smembers(self._k("queues")))
            pipe = self._client.pipeline(transaction=False)
            for s in streams:
                pipe.xlen(self._k("stream", s))
            for q in queues:
                pipe.zcard(self._q(q, "ready"))
                pipe.zcount(self._q(q, "leased"), f"({now}", "+inf")
                pipe.zcard(self._q(q, "dead"))
            replies = pipe.execute()
        lengths = dict(zip(streams, (int(n) for n in replies[: len(streams)]), strict=True))
        rest = replies[len(streams) :]
        stats = {
            q: QueueStats(
                int(rest[3 * i]) - int(rest[3 * i + 1]), int(rest[3 * i + 1]), int(rest[3 * i + 2])
            )
            for i, q in enumerate(queues)
        }
        return StoreInfo(self.backend, self._masked, lengths, stats)

    def close(self) -> None:
        if not self._closed:
            self._closed = True
            self._client.close()


def _ms(seconds: float | None) -> int | None:
    return None if seconds is None else max(int(seconds * 1000), 1)


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
