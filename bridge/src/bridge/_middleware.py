"""Plain ASGI middleware: request id, metrics, body limits and the last-resort 500.

One class, not a stack of ``BaseHTTPMiddleware`` layers, because every request pays for it.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING

from starlette.exceptions import HTTPException

from bridge import _metrics
from bridge._errors import error_response, internal_error_response
from logkit import request_context

if TYPE_CHECKING:
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"


class RequestContextMiddleware:
    """Bind and echo ``X-Request-ID``, count and time requests, cap bodies, answer crashes.

    Args:
        app: the wrapped application.
        max_body_bytes: the body limit for every route but those under ``large_prefix``.
        large_prefix: routes whose bodies may reach ``max_large_bytes`` (conversions).
        max_large_bytes: their limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body_bytes: int,
        large_prefix: str = "/v1/convert/",
        max_large_bytes: int,
    ) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.large_prefix = large_prefix
        self.max_large_bytes = max_large_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming: str | None = None
        length: int | None = None
        for name, value in scope["headers"]:
            if name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        path: str = scope["path"]
        limit = self.max_large_bytes if path.startswith(self.large_prefix) else self.max_body_bytes
        method: str = scope["method"]
        with request_context(incoming) as request_id:
            scope.setdefault("state", {})["request_id"] = request_id
            rid_header = (b"x-request-id", request_id.encode("latin-1"))
            status = 500
            started = False

            async def send_wrapper(message: Message) -> None:
                nonlocal status, started
                if message["type"] == "http.response.start":
                    started = True
                    status = message["status"]
                    message["headers"] = [*message.get("headers", []), rid_header]
                await send(message)

            received = 0

            async def receive_wrapper() -> Message:
                nonlocal received
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    if received > limit:
                        # HTTPException, because FastAPI turns other errors raised while it
                        # reads a body into a generic 400.
                        raise HTTPException(413, f"request body exceeds the limit of {limit} bytes")
                return message

            begin = time.perf_counter()
            _metrics.IN_PROGRESS.inc()
            try:
                if length is not None and length > limit:
                    response = error_response(
                        413,
                        "payload_too_large",
                        f"request body exceeds the limit of {limit} bytes",
                    )
                    await response(scope, receive, send_wrapper)
                else:
                    await self.app(scope, receive_wrapper, send_wrapper)
            except Exception:
                logger.exception("unhandled error", extra={"path": path, "method": method})
                if started:
                    raise
                await internal_error_response(request_id)(scope, receive, send_wrapper)
            finally:
                _metrics.IN_PROGRESS.dec()
                route = scope.get("route")
                label = getattr(route, "path", None) or "unmatched"
                _metrics.REQUESTS.labels(method, label, str(status)).inc()
                _metrics.LATENCY.labels(method, label).observe(time.perf_counter() - begin)
