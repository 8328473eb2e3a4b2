"""Shared state for Switchyard: cache, locks, rate limits, queues and streams on SQLite or Redis.

Example:
    >>> import tempfile
    >>> from statestore import open_store
    >>> store = open_store(f"sqlite://{tempfile.mkdtemp()}/state")
    >>> store.hit("finnhub:key1", limit=2, window=60).allowed
    True
    >>> store.close()
"""

from statestore._aio import AsyncLock, AsyncStateStore
from statestore._exceptions import (
    InvalidStateURLError,
    LockTimeoutError,
    StateStoreError,
    StateStoreUnavailableError,
)
from statestore._open import open_store
from statestore._settings import StateSettings
from statestore._sqlite import SQLiteStateStore
from statestore._store import Lock, StateStore, parse_stream_id
from statestore._types import DeadLetter, QueueItem, QueueStats, RateDecision, StoreInfo
from statestore._url import mask_url, parse_state_url
from statestore._version import __version__ as __version__

__all__ = [
    "AsyncLock",
    "AsyncStateStore",
    "DeadLetter",
    "InvalidStateURLError",
    "Lock",
    "LockTimeoutError",
    "QueueItem",
    "QueueStats",
    "RateDecision",
    "SQLiteStateStore",
    "StateSettings",
    "StateStore",
    "StateStoreError",
    "StateStoreUnavailableError",
    "StoreInfo",
    "mask_url",
    "open_store",
    "parse_state_url",
    "parse_stream_id",
]
