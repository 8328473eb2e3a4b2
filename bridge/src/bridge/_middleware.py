"""Plain ASGI middleware: request id, metrics, body limits and the last-resort 500.

One class, not a stack of ``BaseHTTPMiddleware`` layers, because every request pays for it.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import secrets
import time
from typing import TYPE_CHECKING, Any

from starlette.exceptions import HTTPException

from bridge import _metrics
from bridge._errors import error_response, internal_error_response
from logkit import bind_request_id

if TYPE_CHECKING:
    from starlette.responses import JSONResponse
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
PUBLIC = frozenset({("GET", "/v1/health"), ("HEAD", "/v1/health")})
# Request ids: a random prefix per process and a counter. As unique as uuid4 in practice, and
# without a urandom call per request.
_ID_PREFIX = secrets.token_hex(10)
_ids = itertools.count(1)


def new_request_id() -> str:
    """A fresh request id: 32 lowercase hex characters."""
    return f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFFFFFF:012x}"


def _unauthorized(message: str) -> JSONResponse:
    return error_response(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


class RequestContextMiddleware:
    """Bind and echo ``X-Request-ID``, check the token, count and time requests, cap bodies.

    The bearer token is checked here, before routing, for every request but ``GET /v1/health``
    — one place that cannot be forgotten on a new router, and cheaper than a dependency. The
    comparison takes the same time whatever the offered token is. Unexpected exceptions are
    answered with the one error shape (500, the request id, no traceback).

    Args:
        app: the wrapped application.
        token: the bearer token every request but the public ones must carry.
        max_body_bytes: the body limit for every route but those under ``large_prefix``.
        large_prefix: routes whose bodies may reach ``max_large_bytes`` (conversions).
        max_large_bytes: their limit.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: bytes,
        max_body_bytes: int,
        large_prefix: str = "/v1/convert/",
        max_large_bytes: int,
    ) -> None:
        self.app = app
        self.token = token
        self._metric_children: dict[tuple[str, str, int], tuple[Any, Any]] = {}
        self.max_body_bytes = max_body_bytes
        self.large_prefix = large_prefix
        self.max_large_bytes = max_large_bytes

    def _children(self, method: str, route: str, status: int) -> tuple[Any, Any]:
        """The labelled counter and histogram for one (method, route, status), cached.

        Labels are bounded: routes are templates (or ``unmatched``), methods and statuses few.
        """
        key = (method, route, status)
        children = self._metric_children.get(key)
        if children is None:
            children = (
                _metrics.REQUESTS.labels(method, route, str(status)),
                _metrics.LATENCY.labels(method, route),
            )
            self._metric_children[key] = children
        return children

    def _refuse(self, authorization: bytes) -> str | None:
        """Why ``authorization`` is refused, or None when it carries the right token."""
        scheme, _, offered = authorization.partition(b" ")
        offered = offered.strip()
        if scheme.lower() != b"bearer" or not offered:
            return "missing bearer token"
        if not hmac.compare_digest(offered, self.token):
            return "wrong bearer token"
        return None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming: str | None = None
        length: int | None = None
        authorization = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        path: str = scope["path"]
        limit = self.max_large_bytes if path.startswith(self.large_prefix) else self.max_body_bytes
        method: str = scope["method"]
        # uvicorn runs each request in a task of its own, so binding the id into the context
        # needs no reset (the cheaper call: this middleware runs on every request).
        request_id = bind_request_id(incoming or new_request_id())
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
        try:
            refusal = None if (method, path) in PUBLIC else self._refuse(authorization)
            if refusal is not None:
                await _unauthorized(refusal)(scope, receive, send_wrapper)
            elif length is not None and length > limit:
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
            route = scope.get("route")
            label = getattr(route, "path", None) or "unmatched"
            count, latency = self._children(method, label, status)
            count.inc()
            latency.observe(time.perf_counter() - begin)
