"""The one exception tree of statestore.

::

    StateStoreError                         base of everything raised by statestore
    ├── LockTimeoutError(TimeoutError)      lock() could not acquire within blocking_timeout
    ├── StateStoreUnavailableError(ConnectionError)
    │                                       backend unreachable or locked for too long
    └── InvalidStateURLError(ValueError)    open_store() got a URL it cannot use (misuse)

Argument misuse on a method (a negative ttl, ``cost > limit``, a malformed stream id) raises a
plain :class:`ValueError`. Errors of the backends (``sqlite3``, ``diskcache``, ``redis``) are
translated at the boundary into :class:`StateStoreUnavailableError` or :class:`StateStoreError`.
Messages never contain a password: Redis URLs are masked.
"""

from __future__ import annotations


class StateStoreError(Exception):
    """Base class of every error raised by statestore."""


class LockTimeoutError(StateStoreError, TimeoutError):
    """Raised by ``store.lock(...)`` when the lock is not acquired within ``blocking_timeout``."""


class StateStoreUnavailableError(StateStoreError, ConnectionError):
    """Raised when the backend cannot be reached (Redis down) or stays locked (SQLite busy)."""


class InvalidStateURLError(StateStoreError, ValueError):
    """Raised by ``open_store`` for a URL that is neither ``sqlite:///abs/path`` nor ``redis://``."""
