"""``open_store``: the one way to get a store from a URL or the environment."""

from __future__ import annotations

from typing import TYPE_CHECKING

from statestore._settings import StateSettings
from statestore._url import parse_state_url

if TYPE_CHECKING:
    from statestore._store import StateStore


def open_store(url: str | None = None) -> StateStore:
    """Open the shared state store named by ``url``.

    Args:
        url: ``sqlite:///absolute/dir`` or ``redis://[:password@]host:port/db``
            (``rediss://`` for TLS). ``None`` reads ``SWITCHYARD_STATE_URL``, and without it
            uses SQLite in ``SWITCHYARD_HOME/state`` (default ``~/.local/share/switchyard``).

    Returns:
        A :class:`StateStore`; close it with ``close()`` or use it in a ``with`` block.

    Raises:
        InvalidStateURLError: the URL is not one of the forms above.
        StateStoreUnavailableError: the backend cannot be reached.

    Example:
        >>> import tempfile
        >>> with open_store(f"sqlite://{tempfile.mkdtemp()}/state") as store:
        ...     store.set("greeting", b"hello", ttl=60)
        ...     store.get("greeting")
        b'hello'
    """
    parsed = parse_state_url(url if url is not None else StateSettings().state_url())
    if parsed.backend == "sqlite":
        from statestore._sqlite import SQLiteStateStore

        assert parsed.path is not None  # noqa: S101 - parse_state_url sets it for sqlite
        return SQLiteStateStore(parsed.path)
    from statestore._redis import RedisStateStore

    return RedisStateStore(parsed.raw)
