"""The embedded backend: diskcache for key/values and locks, SQLite tables for the rest.

Layout of the state directory (created 0700)::

    <dir>/cache/      diskcache.Cache: get/set/add/delete/incr and locks
    <dir>/state.db    SQLite (WAL): rate_hits, streams, stream_entries, queue_items

Every multi-step operation runs in one ``BEGIN IMMEDIATE`` transaction, which SQLite serialises
across threads and processes; that is what makes ``hit``, ``publish`` and ``claim`` atomic.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sqlite3
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import diskcache

from statestore._exceptions import StateStoreError, StateStoreUnavailableError
from statestore._store import (
    DEFAULT_DONE_RETENTION,
    StateStore,
    check_rate,
    check_ttl,
    parse_stream_id,
)
from statestore._types import DeadLetter, QueueItem, QueueStats, RateDecision, StoreInfo

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

logger = logging.getLogger(__name__)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS rate_hits (
    key TEXT NOT NULL, ts REAL NOT NULL, cost INTEGER NOT NULL, expires_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS streams (
    name TEXT PRIMARY KEY, last_ms INTEGER NOT NULL, last_seq INTEGER NOT NULL,
    length INTEGER NOT NULL
);
CREATE TABLE IF NOT EXISTS stream_entries (
    stream TEXT NOT NULL, ms INTEGER NOT NULL, seq INTEGER NOT NULL, payload BLOB NOT NULL,
    PRIMARY KEY (stream, ms, seq)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS queue_items (
    queue TEXT NOT NULL, id TEXT NOT NULL, payload BLOB, attempts INTEGER NOT NULL,
    available_at REAL NOT NULL, leased_until REAL, state TEXT NOT NULL, reason TEXT,
    PRIMARY KEY (queue, id)
);
"""

_INDEXES = """
CREATE INDEX IF NOT EXISTS rate_hits_key_ts ON rate_hits (key, ts);
CREATE INDEX IF NOT EXISTS rate_hits_expires ON rate_hits (expires_at);
CREATE INDEX IF NOT EXISTS queue_items_ready ON queue_items (queue, state, available_at);
"""

# queue_items.state values
_PENDING, _DEAD, _DONE = "P", "X", "D"
_LOCK_PREFIX = "\x00lock:"  # keys are str; no caller key starts with NUL
_PURGE_EVERY = 256  # hits between sweeps of expired hits of keys no longer used


def _make_private_dir(path: Path) -> None:
    """Create ``path`` and any missing parents with mode 0700."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for directory in reversed(missing):
        with contextlib.suppress(FileExistsError):
            directory.mkdir(mode=0o700)
        directory.chmod(0o700)
    if not path.is_dir():
        raise StateStoreError(f"state path {path} exists and is not a directory")


class SQLiteStateStore(StateStore):
    """State in a local directory, shared by the threads and processes of one machine.

    Args:
        path: the state directory (created 0700 with missing parents).
        clock: the wall clock, seconds since the epoch; injectable for tests. Processes sharing
            a directory must share the clock, so keep the default outside tests.
        timeout: seconds to wait for a database lock before :class:`StateStoreUnavailableError`.
        done_retention: seconds an acknowledged queue id is remembered for deduplication.
    """

    backend = "sqlite"

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        clock: Callable[[], float] = time.time,
        timeout: float = 30.0,
        done_retention: float = DEFAULT_DONE_RETENTION,
    ) -> None:
        self.path = Path(path)
        self._clock = clock
        self._timeout = timeout
        self._done_retention = done_retention
        self._local = threading.local()
        self._conns: list[sqlite3.Connection] = []
        self._conns_lock = threading.Lock()
        self._closed = False
        self._hits = 0
        with self._errors():
            _make_private_dir(self.path)
            self._kv_cache = self._open_cache()
            try:
                self._create_schema()
            except BaseException:
                self.close()
                raise

    def __repr__(self) -> str:
        return f"SQLiteStateStore(path={str(self.path)!r})"

    # ----- plumbing ----------------------------------------------------------------------
    def _open_cache(self) -> diskcache.Cache:
        self._kv_pid = os.getpid()
        return diskcache.Cache(
            str(self.path / "cache"),
            timeout=self._timeout,
            eviction_policy="none",  # shared state must never be evicted for size
            size_limit=2**62,
        )

    def _create_schema(self) -> None:
        conn = self._conn()
        conn.executescript(_SCHEMA)
        with self._write() as tx:
            columns = {row[1] for row in tx.execute("PRAGMA table_info(rate_hits)")}
            if "expires_at" not in columns:  # a directory made by 0.1.0 before the sweep
                tx.execute("ALTER TABLE rate_hits ADD COLUMN expires_at REAL NOT NULL DEFAULT 0")
        conn.executescript(_INDEXES)

    @property
    def _cache(self) -> diskcache.Cache:
        """The diskcache, reopened in a forked child (its connections must not be shared)."""
        if self._closed:
            raise StateStoreError("state store is closed")
        if self._kv_pid != os.getpid():
            self._kv_cache = self._open_cache()
        return self._kv_cache

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        try:
            yield
        except diskcache.Timeout as exc:
            raise StateStoreUnavailableError(f"state store {self.path} is locked: {exc}") from exc
        except sqlite3.OperationalError as exc:
            text = str(exc).lower()
            if "locked" in text or "busy" in text or "unable to open" in text:
                raise StateStoreUnavailableError(f"state store {self.path}: {exc}") from exc
            raise StateStoreError(f"state store {self.path}: {exc}") from exc
        except sqlite3.Error as exc:
            raise StateStoreError(f"state store {self.path}: {exc}") from exc

    def _conn(self) -> sqlite3.Connection:
        if self._closed:
            raise StateStoreError("state store is closed")
        conn: sqlite3.Connection | None = getattr(self._local, "conn", None)
        if conn is None or getattr(self._local, "pid", None) != os.getpid():
            conn = sqlite3.connect(
                self.path / "state.db",
                timeout=self._timeout,
                isolation_level=None,
                check_same_thread=False,
            )
            conn.execute("PRAGMA journal_mode=WAL")
            conn.execute("PRAGMA synchronous=NORMAL")
            self._local.conn = conn
            self._local.pid = os.getpid()
            with self._conns_lock:
                self._conns.append(conn)
        return conn

    @contextlib.contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One ``BEGIN IMMEDIATE`` transaction: serialised across threads and processes."""
        conn = self._conn()
        conn.execute("BEGIN IMMEDIATE")
        try:
            yield conn
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        conn.execute("COMMIT")

    def _query(self, sql: str, params: tuple[Any, ...] = ()) -> list[Any]:
        with self._errors():
            return self._conn().execute(sql, params).fetchall()

    # ----- key/value (diskcache) ---------------------------------------------------------
    def get(self, key: str) -> bytes | None:
        with self._errors():
            value = self._cache.get(key, default=None, retry=True)
        return _as_bytes(value)

    def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        check_ttl(ttl)
        with self._errors():
            self._cache.set(key, bytes(value), expire=ttl, retry=True)

    def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        check_ttl(ttl)
        with self._errors():
            return bool(self._cache.add(key, bytes(value), expire=ttl, retry=True))

    def delete(self, key: str) -> bool:
        with self._errors():
            return bool(self._cache.delete(key, retry=True))

    def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        check_ttl(ttl)
        with self._errors(), self._cache.transact(retry=True):
            current, expire_time = self._cache.get(key, default=None, expire_time=True, retry=True)
            if current is None:
                new, expire = amount, ttl
            else:
                new = _as_int(key, current) + amount
                expire = None if expire_time is None else max(expire_time - time.time(), 1e-3)
            self._cache.set(key, str(new).encode(), expire=expire, retry=True)
        return new

    def _try_lock(self, name: str, token: str, ttl: float) -> bool:
        with self._errors():
            return bool(self._cache.add(_LOCK_PREFIX + name, token, expire=ttl, retry=True))

    def _unlock(self, name: str, token: str) -> bool:
        key = _LOCK_PREFIX + name
        with self._errors(), self._cache.transact(retry=True):
            if self._cache.get(key, default=None, retry=True) != token:
                return False
            self._cache.delete(key, retry=True)
            return True

    # ----- rate limits -------------------------------------------------------------------
    def hit(self, key: str, *, limit: int, window: float, cost: int = 1) -> RateDecision:
        check_rate(limit, window, cost)
        with self._errors(), self._write() as conn:
            now = self._clock()  # read inside the lock so admissions are ordered in time
            conn.execute("DELETE FROM rate_hits WHERE key = ? AND ts <= ?", (key, now - window))
            (used,) = conn.execute(
                "SELECT COALESCE(SUM(cost), 0) FROM rate_hits WHERE key = ?", (key,)
            ).fetchone()
            if used + cost <= limit:
                conn.execute(
                    "INSERT INTO rate_hits (key, ts, cost, expires_at) VALUES (?, ?, ?, ?)",
                    (key, now, cost, now + window),
                )
                self._hits += 1
                if self._hits % _PURGE_EVERY == 0:
                    conn.execute("DELETE FROM rate_hits WHERE expires_at <= ?", (now,))
                return RateDecision(allowed=True, remaining=limit - used - cost, retry_after=0.0)
            rows = conn.execute(
                "SELECT ts, cost FROM rate_hits WHERE key = ? ORDER BY ts", (key,)
            ).fetchall()
        return _denied(rows, used, cost, limit, window, now)

    def peek(self, key: str, *, limit: int, window: float) -> RateDecision:
        check_rate(limit, window)
        now = self._clock()
        rows = self._query(
            "SELECT ts, cost FROM rate_hits WHERE key = ? AND ts > ? ORDER BY ts",
            (key, now - window),
        )
        used = sum(c for _, c in rows)
        if used + 1 <= limit:
            return RateDecision(allowed=True, remaining=limit - used, retry_after=0.0)
        return _denied(rows, used, 1, limit, window, now)

    # ----- streams -----------------------------------------------------------------------
    def publish(self, stream: str, payload: bytes, *, maxlen: int = 10_000) -> str:
        if maxlen < 1:
            raise ValueError(f"maxlen must be >= 1, got {maxlen!r}")
        with self._errors(), self._write() as conn:
            now_ms = int(self._clock() * 1000)
            row = conn.execute(
                "SELECT last_ms, last_seq, length FROM streams WHERE name = ?", (stream,)
            ).fetchone()
            if row is None:
                ms, seq, length = now_ms, 0, 0
            else:
                last_ms, last_seq, length = row
                ms, seq = (now_ms, 0) if now_ms > last_ms else (last_ms, last_seq + 1)
            conn.execute(
                "INSERT INTO stream_entries (stream, ms, seq, payload) VALUES (?, ?, ?, ?)",
                (stream, ms, seq, bytes(payload)),
            )
            length += 1
            if length > maxlen:
                conn.execute(
                    "DELETE FROM stream_entries WHERE stream = ? AND (ms, seq) <= ("
                    " SELECT ms, seq FROM stream_entries WHERE stream = ?"
                    " ORDER BY ms, seq LIMIT 1 OFFSET ?)",
                    (stream, stream, length - maxlen - 1),
                )
                length = maxlen
            conn.execute(
                "INSERT INTO streams (name, last_ms, last_seq, length) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (name) DO UPDATE SET last_ms = excluded.last_ms,"
                " last_seq = excluded.last_seq, length = excluded.length",
                (stream, ms, seq, length),
            )
        return f"{ms}-{seq}"

    def read(
        self, stream: str, after: str | None, *, count: int = 100, block: float = 0.0
    ) -> list[tuple[str, bytes]]:
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        if after == "$":
            after = self.last_id(stream) or "0-0"
        ms, seq = parse_stream_id(after) if after is not None else (-1, -1)
        deadline = time.monotonic() + max(block, 0.0)
        delay = 0.005
        while True:
            rows = self._query(
                "SELECT ms, seq, payload FROM stream_entries"
                " WHERE stream = ? AND (ms, seq) > (?, ?) ORDER BY ms, seq LIMIT ?",
                (stream, ms, seq, count),
            )
            remaining = deadline - time.monotonic()
            if rows or remaining <= 0:
                return [(f"{m}-{s}", bytes(p)) for m, s, p in rows]
            time.sleep(min(delay, remaining))
            delay = min(delay * 2, 0.05)

    def stream_length(self, stream: str) -> int:
        rows = self._query("SELECT length FROM streams WHERE name = ?", (stream,))
        return int(rows[0][0]) if rows else 0

    def last_id(self, stream: str) -> str | None:
        rows = self._query("SELECT last_ms, last_seq FROM streams WHERE name = ?", (stream,))
        return f"{rows[0][0]}-{rows[0][1]}" if rows else None

    # ----- queues ------------------------------------------------------------------------
    def enqueue(
        self, queue: str, item_id: str, payload: bytes, *, available_at: float | None = None
    ) -> bool:
        when = self._clock() if available_at is None else available_at
        with self._errors(), self._write() as conn:
            cursor = conn.execute(
                "INSERT OR IGNORE INTO queue_items"
                " (queue, id, payload, attempts, available_at, leased_until, state)"
                " VALUES (?, ?, ?, 0, ?, NULL, ?)",
                (queue, item_id, bytes(payload), when, _PENDING),
            )
            return cursor.rowcount == 1

    def claim(self, queue: str, *, lease: float, count: int = 1) -> list[QueueItem]:
        check_ttl(lease, "lease")
        if count < 1:
            raise ValueError(f"count must be >= 1, got {count!r}")
        with self._errors(), self._write() as conn:
            now = self._clock()
            rows = conn.execute(
                "SELECT rowid, id, payload, attempts, available_at FROM queue_items"
                " WHERE queue = ? AND state = ? AND available_at <= ?"
                " AND (leased_until IS NULL OR leased_until <= ?)"
                " ORDER BY available_at, rowid LIMIT ?",
                (queue, _PENDING, now, now, count),
            ).fetchall()
            until = now + lease
            conn.executemany(
                "UPDATE queue_items SET attempts = attempts + 1, leased_until = ? WHERE rowid = ?",
                [(until, r[0]) for r in rows],
            )
        return [QueueItem(i, bytes(p), a + 1, at, until) for _, i, p, a, at in rows]

    def ack(self, queue: str, item_id: str) -> None:
        with self._errors(), self._write() as conn:
            now = self._clock()
            cursor = conn.execute(
                "UPDATE queue_items SET state = ?, payload = NULL, available_at = ?,"
                " leased_until = NULL WHERE queue = ? AND id = ? AND state = ?",
                (_DONE, now, queue, item_id, _PENDING),
            )
            conn.execute(
                "DELETE FROM queue_items WHERE queue = ? AND state = ? AND available_at < ?",
                (queue, _DONE, now - self._done_retention),
            )
        if cursor.rowcount == 0:
            logger.warning("statestore ack of unknown item", extra={"queue": queue, "id": item_id})

    def retry(
        self, queue: str, item_id: str, *, available_at: float, payload: bytes | None = None
    ) -> None:
        with self._errors(), self._write() as conn:
            cursor = conn.execute(
                "UPDATE queue_items SET available_at = ?, leased_until = NULL,"
                " payload = COALESCE(?, payload) WHERE queue = ? AND id = ? AND state = ?",
                (
                    available_at,
                    None if payload is None else bytes(payload),
                    queue,
                    item_id,
                    _PENDING,
                ),
            )
        if cursor.rowcount == 0:
            logger.warning(
                "statestore retry of unknown item", extra={"queue": queue, "id": item_id}
            )

    def dead(self, queue: str, item_id: str, *, reason: str) -> None:
        with self._errors(), self._write() as conn:
            cursor = conn.execute(
                "UPDATE queue_items SET state = ?, reason = ?, available_at = ?,"
                " leased_until = NULL WHERE queue = ? AND id = ? AND state = ?",
                (_DEAD, reason, self._clock(), queue, item_id, _PENDING),
            )
        if cursor.rowcount == 0:
            logger.warning("statestore dead of unknown item", extra={"queue": queue, "id": item_id})

    def pending(self, queue: str) -> list[QueueItem]:
        rows = self._query(
            "SELECT id, payload, attempts, available_at, leased_until FROM queue_items"
            " WHERE queue = ? AND state = ? ORDER BY available_at, rowid",
            (queue, _PENDING),
        )
        now = self._clock()
        return [
            QueueItem(i, bytes(p), a, at, lu if lu is not None and lu > now else None)
            for i, p, a, at, lu in rows
        ]

    def dead_letters(self, queue: str) -> list[DeadLetter]:
        rows = self._query(
            "SELECT id, payload, attempts, reason, available_at FROM queue_items"
            " WHERE queue = ? AND state = ? ORDER BY available_at, rowid",
            (queue, _DEAD),
        )
        return [DeadLetter(i, bytes(p), a, r or "", at) for i, p, a, r, at in rows]

    # ----- housekeeping ------------------------------------------------------------------
    def info(self) -> StoreInfo:
        now = self._clock()
        streams = dict(self._query("SELECT name, length FROM streams ORDER BY name"))
        rows = self._query(
            "SELECT queue,"
            " SUM(state = ? AND (leased_until IS NULL OR leased_until <= ?)),"
            " SUM(state = ? AND leased_until > ?), SUM(state = ?)"
            " FROM queue_items GROUP BY queue ORDER BY queue",
            (_PENDING, now, _PENDING, now, _DEAD),
        )
        queues = {q: QueueStats(int(p or 0), int(le or 0), int(d or 0)) for q, p, le, d in rows}
        return StoreInfo(self.backend, str(self.path), streams, queues)

    def close(self) -> None:
        if self._closed:
            return
        self._closed = True
        with self._conns_lock:
            conns, self._conns = self._conns, []
        for conn in conns:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self._kv_cache.close()


def _as_bytes(value: object) -> bytes | None:
    if value is None or isinstance(value, bytes):
        return value
    if isinstance(value, int):
        return str(value).encode()
    raise StateStoreError(f"unexpected value type {type(value).__name__} in the state store")


def _as_int(key: str, value: object) -> int:
    try:
        if isinstance(value, int):
            return value
        if isinstance(value, bytes | str):
            return int(value)
    except ValueError:
        pass
    raise ValueError(f"key {key!r} does not hold an integer")


def _denied(
    rows: list[Any], used: int, cost: int, limit: int, window: float, now: float
) -> RateDecision:
    """The decision for a refused hit: when enough old hits leave the window to fit ``cost``."""
    need = used + cost - limit
    freed = 0
    retry_after = window
    for ts, c in rows:
        freed += c
        if freed >= need:
            retry_after = ts + window - now
            break
    return RateDecision(
        allowed=False, remaining=max(limit - used, 0), retry_after=max(retry_after, 0.0)
    )
