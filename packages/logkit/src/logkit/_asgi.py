"""ASGI middleware that binds the request id of every HTTP request (for the bridge).

Pure ASGI, no framework import: ``app.add_middleware(RequestIdMiddleware)`` in FastAPI or
Starlette, or wrap any ASGI app.  The incoming ``X-Request-ID`` (sent by the PHP client) is
kept, or a new id is made; it is bound for the whole request, so every log event carries
``request_id``, and it is echoed in the response's ``X-Request-ID`` header.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from logkit._context import request_context

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class RequestIdMiddleware:
    """Bind ``request_id`` (and ``method``, ``path``) for each request and echo the header.

    Args:
        app: the ASGI application to wrap.
        header: the header carrying the id (case-insensitive).
    """

    def __init__(self, app: ASGIApp, *, header: str = "x-request-id") -> None:
        self.app = app
        self.header = header.lower().encode("latin-1")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Handle one ASGI connection."""
        if scope.get("type") not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        incoming = None
        for name, value in scope.get("headers", []):
            if name.lower() == self.header:
                incoming = value.decode("latin-1")
                break
        extra = {k: scope[k] for k in ("method", "path") if scope.get(k) is not None}
        with request_context(incoming, **extra) as rid:

            async def send_with_id(message: Message) -> None:
                if message.get("type") == "http.response.start":
                    headers = [
                        (n, v) for n, v in message.get("headers", []) if n.lower() != self.header
                    ]
                    headers.append((self.header, rid.encode("latin-1")))
                    message = {**message, "headers": headers}
                await send(message)

            await self.app(scope, receive, send_with_id)
