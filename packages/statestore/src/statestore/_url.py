"""State URLs: parse them, and mask their passwords."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import SplitResult, urlsplit, urlunsplit

from statestore._exceptions import InvalidStateURLError

_REDIS_SCHEMES = frozenset({"redis", "rediss", "unix"})


@dataclass(frozen=True, slots=True)
class StateURL:
    """A parsed state URL. ``str()`` and ``repr()`` show it with the password masked."""

    backend: Literal["sqlite", "redis"]
    raw: str
    path: Path | None = None

    def masked(self) -> str:
        """Return the URL with any password replaced by ``***``."""
        return mask_url(self.raw)

    def __str__(self) -> str:
        return self.masked()

    def __repr__(self) -> str:
        return f"StateURL(backend={self.backend!r}, url={self.masked()!r})"


def mask_url(url: str) -> str:
    """Return ``url`` with its password (and any ``password=`` query value) replaced by ``***``.

    Args:
        url: any URL.

    Returns:
        The URL safe to print or log.
    """
    try:
        parts = urlsplit(url)
    except ValueError:
        return "<unparseable URL>"
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, _, hostport = netloc.rpartition("@")
        user, sep, _password = userinfo.partition(":")
        # redis://secret@host means the password alone, like redis-py reads it.
        netloc = f"{user}:***@{hostport}" if sep else f"***@{hostport}"
    query = "&".join(
        f"{k}=***" if k.lower() == "password" else f"{k}{'=' if eq else ''}{v}"
        for k, eq, v in (item.partition("=") for item in parts.query.split("&") if item)
    )
    return urlunsplit(SplitResult(parts.scheme, netloc, parts.path, query, parts.fragment))


def parse_state_url(url: str) -> StateURL:
    """Parse ``sqlite:///abs/path`` or ``redis[s]://[:password@]host[:port][/db]``.

    Args:
        url: the URL to parse.

    Returns:
        The parsed URL.

    Raises:
        InvalidStateURLError: for any other scheme, a relative SQLite path or a bad Redis db.
    """
    masked = mask_url(url)
    try:
        parts = urlsplit(url)
    except ValueError:
        raise InvalidStateURLError(f"cannot parse state URL {masked!r}") from None
    scheme = parts.scheme.lower()
    if scheme == "sqlite":
        if parts.netloc:
            raise InvalidStateURLError(
                f"state URL {masked!r}: a SQLite URL has three slashes and an absolute path, "
                "e.g. sqlite:///var/lib/switchyard/state"
            )
        if not parts.path or not parts.path.startswith("/") or parts.path == "/":
            raise InvalidStateURLError(
                f"state URL {masked!r}: the SQLite path must be absolute, "
                "e.g. sqlite:///var/lib/switchyard/state"
            )
        return StateURL(backend="sqlite", raw=url, path=Path(parts.path))
    if scheme in _REDIS_SCHEMES:
        if scheme != "unix" and not parts.hostname:
            raise InvalidStateURLError(
                f"state URL {masked!r}: a Redis URL needs a host, e.g. redis://127.0.0.1:6379/0"
            )
        db = parts.path.strip("/")
        if scheme != "unix" and db and not db.isdigit():
            raise InvalidStateURLError(
                f"state URL {masked!r}: the Redis database must be a number, e.g. /0"
            )
        try:
            _ = parts.port
        except ValueError:
            raise InvalidStateURLError(f"state URL {masked!r}: the port is not a number") from None
        return StateURL(backend="redis", raw=url)
    raise InvalidStateURLError(
        f"unsupported state URL {masked!r}: use sqlite:///absolute/path or "
        "redis://host:port/db (rediss:// for TLS)"
    )
