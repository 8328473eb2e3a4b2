"""Plain ASGI middleware: request id, metrics, body limits, HEAD, and the last-resort 500.

One class, not a stack of ``BaseHTTPMiddleware`` layers, because every request pays for it.
"""

from __future__ import annotations

import hmac
import itertools
import logging
import secrets
import time
import zlib
from typing import TYPE_CHECKING, Any, Protocol

from starlette.exceptions import HTTPException

from bridge import _metrics
from bridge._errors import error_response, internal_error_response
from logkit import bind_request_id

if TYPE_CHECKING:
    import re

    from starlette.responses import JSONResponse, Response
    from starlette.types import ASGIApp, Message, Receive, Scope, Send

logger = logging.getLogger(__name__)

REQUEST_ID_HEADER = b"x-request-id"
PUBLIC = frozenset({("GET", "/v1/health"), ("HEAD", "/v1/health")})
# Request bodies may come compressed (``Content-Encoding``); these are decoded, within the
# body limit counted on the decoded bytes. 47 = zlib.MAX_WBITS | 32: gzip or zlib, detected.
_DECODED = {b"gzip": 47, b"x-gzip": 47, b"deflate": 47}
# Request ids: a random prefix per process and a counter. As unique as uuid4 in practice, and
# without a urandom call per request.
_ID_PREFIX = secrets.token_hex(10)
_ids = itertools.count(1)


class FastRoute(Protocol):
    """An answer the middleware gives itself, bypassing routing: ``(app, symbol) -> Response``."""

    async def __call__(self, app: ASGIApp, symbol: str, /) -> Response: ...


def new_request_id() -> str:
    """A fresh request id: 32 lowercase hex characters."""
    return f"{_ID_PREFIX}{next(_ids) & 0xFFFFFFFFFFFF:012x}"


def _unauthorized(message: str) -> JSONResponse:
    return error_response(401, "unauthorized", message, {"WWW-Authenticate": "Bearer"})


class _Decoder:
    """Inflate a compressed request body chunk by chunk, never past ``limit`` bytes."""

    def __init__(self, wbits: int, limit: int) -> None:
        self._inflate = zlib.decompressobj(wbits)
        self._left = limit

    def feed(self, data: bytes, *, last: bool) -> bytes:
        try:
            out = self._inflate.decompress(data, self._left + 1)
            if last and not self._inflate.unconsumed_tail:
                out += self._inflate.flush()
        except zlib.error as exc:
            raise HTTPException(422, f"body: not valid for its Content-Encoding ({exc})") from None
        self._left -= len(out)
        if self._left < 0 or self._inflate.unconsumed_tail:
            raise HTTPException(413, "request body exceeds the limit once decompressed")
        if last and not self._inflate.eof:
            raise HTTPException(422, "body: compressed body is truncated")
        return out


class RequestContextMiddleware:
    """Bind and echo ``X-Request-ID``, check the token, count and time requests, cap bodies.

    ``HEAD`` is answered wherever ``GET`` is (the same status and headers, no body), and
    request bodies with ``Content-Encoding: gzip`` or ``deflate`` are decoded (other encodings
    are refused with 415).

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
        fast_quote: answers ``GET /v1/quotes/{symbol}`` when ``symbol`` matches
            ``fast_symbol`` (the hot path, without routing); None routes it like the rest.
        fast_symbol: the symbols ``fast_quote`` may be given.
        fast_label: the route label of its metrics.
    """

    def __init__(
        self,
        app: ASGIApp,
        *,
        token: bytes,
        max_body_bytes: int,
        large_prefix: str = "/v1/convert/",
        max_large_bytes: int,
        fast_quote: FastRoute | None = None,
        fast_symbol: re.Pattern[str] | None = None,
        fast_label: str = "/v1/quotes/{symbol}",
    ) -> None:
        self.app = app
        self.fast_quote = fast_quote
        self.fast_symbol = fast_symbol
        self.fast_label = fast_label
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
        encoding = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                authorization = value
            elif name == REQUEST_ID_HEADER:
                incoming = value.decode("latin-1")
            elif name == b"content-encoding":
                encoding = value.strip().lower()
            elif name == b"content-length":
                try:
                    length = int(value)
                except ValueError:
                    length = None
        path: str = scope["path"]
        limit = self.max_large_bytes if path.startswith(self.large_prefix) else self.max_body_bytes
        method: str = scope["method"]
        head = method == "HEAD"
        if head:
            # A GET without its body (RFC 9110 §9.3.2): monitors and link checkers use HEAD.
            scope = {**scope, "method": "GET"}
        decoder: _Decoder | None = None
        if encoding and encoding != b"identity" and encoding in _DECODED:
            decoder = _Decoder(_DECODED[encoding], limit)
            scope = {
                **scope,
                "headers": [
                    (k, v)
                    for k, v in scope["headers"]
                    if k not in (b"content-encoding", b"content-length")
                ],
            }
        # uvicorn runs each request in a task of its own, so binding the id into the context
        # needs no reset (the cheaper call: this middleware runs on every request).
        request_id = bind_request_id(incoming or new_request_id())
        scope.setdefault("state", {})["request_id"] = request_id
        rid_header = (b"x-request-id", request_id.encode("latin-1"))
        status = 500
        started = False
        label: str | None = None

        async def send_wrapper(message: Message) -> None:
            nonlocal status, started
            if message["type"] == "http.response.start":
                started = True
                status = message["status"]
                message["headers"] = [*message.get("headers", []), rid_header]
            elif head and message["type"] == "http.response.body":
                message = {**message, "body": b""}
            await send(message)

        received = 0

        async def receive_wrapper() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                if decoder is not None:
                    body = decoder.feed(
                        message.get("body", b""), last=not message.get("more_body", False)
                    )
                    message = {**message, "body": body}
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
            elif encoding and encoding != b"identity" and decoder is None:
                response = error_response(
                    415,
                    "invalid_request",
                    f"Content-Encoding {encoding[:32].decode('latin-1')!r} is not supported; "
                    "send the body as is, or with gzip or deflate",
                )
                await response(scope, receive, send_wrapper)
            elif length is not None and length > limit:
                response = error_response(
                    413,
                    "payload_too_large",
                    f"request body exceeds the limit of {limit} bytes",
                )
                await response(scope, receive, send_wrapper)
            elif (
                self.fast_quote is not None
                and self.fast_symbol is not None
                and scope["method"] == "GET"
                and path.startswith("/v1/quotes/")
                and self.fast_symbol.fullmatch(path, 11)
            ):
                label = self.fast_label
                answer = await self.fast_quote(scope["app"], path[11:])
                await answer(scope, receive_wrapper, send_wrapper)
            else:
                await self.app(scope, receive_wrapper, send_wrapper)
        except Exception:
            logger.exception("unhandled error", extra={"path": path, "method": method})
            if started:
                raise
            await internal_error_response(request_id)(scope, receive, send_wrapper)
        finally:
            if label is None:
                label = getattr(scope.get("route"), "path", None) or "unmatched"
            count, latency = self._children(method, label, status)
            count.inc()
            latency.observe(time.perf_counter() - begin)
