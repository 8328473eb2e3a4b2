"""The abstract ``StateStore`` every backend implements, and the cross-process ``Lock``."""

from __future__ import annotations

import abc
import logging
import math
import time
import uuid
from typing import TYPE_CHECKING, Self

from statestore._exceptions import LockTimeoutError

if TYPE_CHECKING:
    from types import TracebackType

    from statestore._types import DeadLetter, QueueItem, RateDecision, StoreInfo

logger = logging.getLogger(__name__)

#: How long ``ack`` remembers an id so that a late ``enqueue`` of it is still refused.
DEFAULT_DONE_RETENTION = 7 * 24 * 3600.0


def check_ttl(ttl: float | None, name: str = "ttl") -> None:
    """Refuse a ttl that is not a positive finite number of seconds."""
    if ttl is not None and not (ttl > 0 and math.isfinite(ttl)):
        raise ValueError(f"{name} must be a positive number of seconds or None, got {ttl!r}")


def check_rate(limit: int, window: float, cost: int = 1) -> None:
    """Refuse rate-limit arguments that could never make sense."""
    if limit < 1:
        raise ValueError(f"limit must be >= 1, got {limit!r}")
    if not (window > 0 and math.isfinite(window)):
        raise ValueError(f"window must be a positive number of seconds, got {window!r}")
    if cost < 1:
        raise ValueError(f"cost must be >= 1, got {cost!r}")
    if cost > limit:
        raise ValueError(f"cost {cost} exceeds limit {limit}: such a hit can never be allowed")


def parse_stream_id(stream_id: str) -> tuple[int, int]:
    """Split a stream id ``"<ms>-<seq>"`` (or ``"<ms>"``) into integers.

    Args:
        stream_id: an id returned by ``publish`` or ``read``.

    Returns:
        ``(milliseconds, sequence)``; ids compare in this order.

    Raises:
        ValueError: when the id is malformed.
    """
    ms, sep, seq = stream_id.partition("-")
    if not ms.isdigit() or (sep and not seq.isdigit()):
        raise ValueError(f"malformed stream id {stream_id!r}; expected '<ms>-<seq>'")
    return int(ms), int(seq) if sep else 0


class Lock:
    """A cross-process mutex that expires after ``ttl`` seconds; use it as a context manager.

    Obtained from :meth:`StateStore.lock`. Release is token-checked: if the lock expired and
    someone else took it, releasing does not remove their lock (a warning is logged instead).
    """

    def __init__(
        self, store: StateStore, name: str, *, ttl: float, blocking_timeout: float | None
    ) -> None:
        check_ttl(ttl)
        if blocking_timeout is not None and blocking_timeout < 0:
            raise ValueError(f"blocking_timeout must be >= 0 or None, got {blocking_timeout!r}")
        self._store = store
        self.name = name
        self.ttl = ttl
        self.blocking_timeout = blocking_timeout
        self._token: str | None = None

    @property
    def locked(self) -> bool:
        """Whether this object currently believes it holds the lock."""
        return self._token is not None

    def acquire(self) -> None:
        """Take the lock, waiting up to ``blocking_timeout`` seconds (``None``: forever).

        Raises:
            LockTimeoutError: when the wait is over and the lock is still held by another.
            RuntimeError: when this object already holds it (locks are not re-entrant).
        """
        if self._token is not None:
            raise RuntimeError(f"lock {self.name!r} is already held by this object")
        token = uuid.uuid4().hex
        deadline = (
            None if self.blocking_timeout is None else time.monotonic() + self.blocking_timeout
        )
        delay = 0.002
        while not self._store._try_lock(self.name, token, self.ttl):
            now = time.monotonic()
            if deadline is not None and now >= deadline:
                raise LockTimeoutError(
                    f"lock {self.name!r} not acquired within {self.blocking_timeout} s"
                )
            pause = delay if deadline is None else min(delay, max(deadline - now, 0.0))
            time.sleep(pause)
            delay = min(delay * 2, 0.05)
        self._token = token

    def release(self) -> None:
        """Release the lock if this object holds it (no-op otherwise)."""
        token, self._token = self._token, None
        if token is not None and not self._store._unlock(self.name, token):
            logger.warning(
                "statestore lock expired before release",
                extra={"lock": self.name, "ttl": self.ttl},
            )

    def __enter__(self) -> Self:
        self.acquire()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()


class StateStore(abc.ABC):
    """Shared state: key/values, counters, locks, rate limits, streams and queues.

    Every method is synchronous, thread-safe and process-safe: several processes may open the
    same SQLite directory or the same Redis database. Use :func:`statestore.open_store` to get one.
    """

    backend: str = "abstract"

    # ----- key/value -------------------------------------------------------------------
    @abc.abstractmethod
    def get(self, key: str) -> bytes | None:
        """Return the value of ``key``, or ``None`` when absent or expired."""

    @abc.abstractmethod
    def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        """Store ``value`` under ``key``, expiring after ``ttl`` seconds (``None``: never).

        Raises:
            ValueError: ``ttl`` is not positive.
        """

    @abc.abstractmethod
    def add(self, key: str, value: bytes, *, ttl: float | None = None) -> bool:
        """Store ``value`` only if ``key`` is absent (or expired), atomically.

        Returns:
            ``True`` when stored, ``False`` when the key already existed.
        """

    @abc.abstractmethod
    def delete(self, key: str) -> bool:
        """Remove ``key``. Returns whether it existed."""

    @abc.abstractmethod
    def incr(self, key: str, amount: int = 1, *, ttl: float | None = None) -> int:
        """Add ``amount`` to the integer at ``key`` (0 when absent) and return the new value.

        ``ttl`` applies only when the counter is created; later increments keep its expiry.
        ``get`` of a counter returns its decimal bytes (``b"3"``).

        Raises:
            ValueError: the key holds bytes that are not a decimal integer.
        """

    def lock(self, name: str, *, ttl: float, blocking_timeout: float | None = None) -> Lock:
        """Return a cross-process mutex named ``name``, to be used with ``with``.

        Args:
            name: the lock's name (its own namespace: it does not clash with keys).
            ttl: seconds after which the lock expires even if never released.
            blocking_timeout: how long ``with`` waits; ``None`` waits forever, ``0`` tries once.

        Returns:
            A :class:`Lock`; entering it raises :class:`LockTimeoutError` on timeout.
        """
        return Lock(self, name, ttl=ttl, blocking_timeout=blocking_timeout)

    @abc.abstractmethod
    def _try_lock(self, name: str, token: str, ttl: float) -> bool:
        """Take lock ``name`` for ``token`` if free; whether it was taken."""

    @abc.abstractmethod
    def _unlock(self, name: str, token: str) -> bool:
        """Release lock ``name`` if still held by ``token``; whether it was."""

    # ----- rate limits -----------------------------------------------------------------
    @abc.abstractmethod
    def hit(self, key: str, *, limit: int, window: float, cost: int = 1) -> RateDecision:
        """Check-and-consume ``cost`` units of a sliding-window budget, atomically.

        At no moment do the admitted hits within any ``window`` seconds add up to more than
        ``limit``. Use one ``(limit, window)`` pair per key.

        Raises:
            ValueError: ``limit < 1``, ``window <= 0``, ``cost < 1`` or ``cost > limit``.
        """

    @abc.abstractmethod
    def peek(self, key: str, *, limit: int, window: float) -> RateDecision:
        """Report the budget of ``key`` as ``hit`` with cost 1 would, without consuming."""

    # ----- streams ---------------------------------------------------------------------
    @abc.abstractmethod
    def publish(self, stream: str, payload: bytes, *, maxlen: int = 10_000) -> str:
        """Append ``payload`` to ``stream``; keep about the last ``maxlen`` entries.

        Returns:
            The entry id ``"<ms>-<seq>"``; ids of one stream strictly increase
            (compare them with :func:`parse_stream_id`, not as strings).
        """

    @abc.abstractmethod
    def read(
        self, stream: str, after: str | None, *, count: int = 100, block: float = 0.0
    ) -> list[tuple[str, bytes]]:
        """Return up to ``count`` entries of ``stream`` with ids greater than ``after``.

        Args:
            stream: the stream name.
            after: the last id seen; ``None`` reads from the oldest retained entry; ``"$"``
                reads only entries published after this call starts.
            count: the most entries to return.
            block: when nothing is there yet, wait up to this many seconds for new entries.

        Returns:
            ``[(id, payload), ...]`` oldest first; empty when nothing came in time.

        Raises:
            ValueError: malformed ``after`` or ``count < 1``.
        """

    @abc.abstractmethod
    def stream_length(self, stream: str) -> int:
        """Return how many entries ``stream`` holds."""

    @abc.abstractmethod
    def last_id(self, stream: str) -> str | None:
        """Return the id of the newest entry of ``stream`` (``None`` when it never had one)."""

    # ----- queues ----------------------------------------------------------------------
    @abc.abstractmethod
    def enqueue(
        self, queue: str, item_id: str, payload: bytes, *, available_at: float | None = None
    ) -> bool:
        """Add an item, claimable from ``available_at`` (unix time; ``None``: now).

        Returns:
            ``False`` when ``item_id`` is already known to the queue (pending, leased, dead, or
            acknowledged within the retention period): the item is not added twice.
        """

    @abc.abstractmethod
    def claim(self, queue: str, *, lease: float, count: int = 1) -> list[QueueItem]:
        """Lease up to ``count`` available items for ``lease`` seconds, atomically.

        An item is given to exactly one claimer; when its lease expires without ``ack``,
        ``retry`` or ``dead``, it can be claimed again (``attempts`` grows by one per claim).
        """

    @abc.abstractmethod
    def ack(self, queue: str, item_id: str) -> None:
        """Mark an item done: it is removed, and its id is remembered for deduplication."""

    @abc.abstractmethod
    def retry(
        self, queue: str, item_id: str, *, available_at: float, payload: bytes | None = None
    ) -> None:
        """Release an item's lease and make it claimable again at ``available_at``."""

    @abc.abstractmethod
    def dead(self, queue: str, item_id: str, *, reason: str) -> None:
        """Move an item to the queue's dead-letter list."""

    @abc.abstractmethod
    def pending(self, queue: str) -> list[QueueItem]:
        """Return every item not yet done or dead (leased ones included), by ``available_at``."""

    @abc.abstractmethod
    def dead_letters(self, queue: str) -> list[DeadLetter]:
        """Return the dead letters of ``queue``, oldest first."""

    # ----- housekeeping ----------------------------------------------------------------
    @abc.abstractmethod
    def info(self) -> StoreInfo:
        """Describe the backend and the streams and queues it holds."""

    @abc.abstractmethod
    def close(self) -> None:
        """Release connections. The store must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
