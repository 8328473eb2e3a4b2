"""Context variables carried by every log event, above all the request id.

The request id crosses PHP → bridge → packages: the bridge reads ``X-Request-ID`` (or makes one)
and binds it with :func:`request_context` for the duration of the request; every event logged
meanwhile, by structlog or stdlib ``logging``, carries ``request_id``.
"""

from __future__ import annotations

import re
import uuid
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog

if TYPE_CHECKING:
    from collections.abc import Iterator

REQUEST_ID_KEY = "request_id"
_SAFE_ID = re.compile(r"[^A-Za-z0-9._:\-]")


def new_request_id() -> str:
    """Return a fresh request id (32 hex characters)."""
    return uuid.uuid4().hex


def _clean(request_id: str) -> str:
    # Ids come from untrusted headers: keep them short and printable.
    return _SAFE_ID.sub("", request_id)[:128] or new_request_id()


def bind_request_id(request_id: str | None = None) -> str:
    """Bind a request id to the current context (thread or asyncio task).

    Args:
        request_id: the id to bind (e.g. an incoming ``X-Request-ID``); a new one when ``None``.
            Characters outside ``[A-Za-z0-9._:-]`` are dropped and it is cut to 128 characters.

    Returns:
        The id actually bound.
    """
    rid = new_request_id() if not request_id else _clean(request_id)
    structlog.contextvars.bind_contextvars(**{REQUEST_ID_KEY: rid})
    return rid


def get_request_id() -> str | None:
    """Return the request id bound to the current context, if any."""
    value = structlog.contextvars.get_contextvars().get(REQUEST_ID_KEY)
    return value if isinstance(value, str) else None


def clear_context() -> None:
    """Unbind every context variable (request id included)."""
    structlog.contextvars.clear_contextvars()


@contextmanager
def request_context(request_id: str | None = None, **values: Any) -> Iterator[str]:
    """Bind a request id (and other values) for a block, restoring the previous context after.

    Args:
        request_id: the incoming id, or ``None`` for a new one.
        **values: more context variables to bind, such as ``route`` or ``user``.

    Yields:
        The bound request id.

    Example:
        >>> with request_context("abc-123", route="/v1/quotes") as rid:
        ...     rid
        'abc-123'
    """
    rid = new_request_id() if not request_id else _clean(request_id)
    with structlog.contextvars.bound_contextvars(**{REQUEST_ID_KEY: rid}, **values):
        yield rid
