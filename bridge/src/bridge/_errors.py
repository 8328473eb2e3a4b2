"""The one error shape, in one place: every failure becomes ``{"error": {"code", "message"}}``.

Each package's exception tree is mapped to a status and a code by an `ErrorMap` (see
`_package_errors.py`); request validation, HTTP errors and anything unexpected are handled here
too, so no route formats an error itself. A 500 carries the request id, never a traceback.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from fastapi import FastAPI, Request

logger = logging.getLogger(__name__)

ErrorCode = Literal[
    "unknown_symbol",
    "rate_limited",
    "provider_unavailable",
    "invalid_request",
    "unauthorized",
    "not_found",
    "payload_too_large",
    "internal",
]


class ErrorDetail(BaseModel):
    """What went wrong: a stable machine code and a human message."""

    model_config = ConfigDict(extra="forbid")

    code: ErrorCode
    message: str


class ErrorPublic(BaseModel):
    """The body of every error answer."""

    model_config = ConfigDict(extra="forbid")

    error: ErrorDetail


_STATUS_CODES: dict[int, ErrorCode] = {
    401: "unauthorized",
    403: "unauthorized",
    404: "not_found",
    413: "payload_too_large",
    429: "rate_limited",
    503: "provider_unavailable",
}


def code_for_status(status: int) -> ErrorCode:
    """The error code a bare HTTP status stands for (4xx default ``invalid_request``)."""
    if status in _STATUS_CODES:
        return _STATUS_CODES[status]
    return "internal" if status >= 500 else "invalid_request"


def error_response(
    status: int, code: ErrorCode, message: str, headers: dict[str, str] | None = None
) -> JSONResponse:
    """Build the one error answer.

    Args:
        status: HTTP status.
        code: the stable error code.
        message: a message for humans (never a secret, never a traceback).
        headers: extra headers (``Retry-After``, ``WWW-Authenticate``).

    Returns:
        A JSON response ``{"error": {"code": code, "message": message}}``.
    """
    body = ErrorPublic(error=ErrorDetail(code=code, message=message))
    return JSONResponse(body.model_dump(), status_code=status, headers=headers)


@dataclass(frozen=True)
class ErrorRule:
    """How one exception class is answered.

    Attributes:
        status: HTTP status.
        code: error code.
        retry_after: reads seconds to wait from the exception (adds ``Retry-After``).
        message: builds the message; ``str(exc)`` when None.
    """

    status: int
    code: ErrorCode
    retry_after: Callable[[BaseException], float | None] | None = None
    message: Callable[[BaseException], str] | None = None


class ErrorMap:
    """Exception classes → answers, looked up along the exception's MRO (most specific wins)."""

    def __init__(self) -> None:
        self._rules: dict[type[BaseException], ErrorRule] = {}

    def register(self, exc_type: type[BaseException], rule: ErrorRule) -> None:
        """Answer ``exc_type`` (and its subclasses without a rule of their own) with ``rule``."""
        self._rules[exc_type] = rule

    @property
    def types(self) -> Sequence[type[BaseException]]:
        """Every registered exception class."""
        return tuple(self._rules)

    def lookup(self, exc: BaseException) -> ErrorRule | None:
        """The rule for ``exc``, or None when no class in its MRO is registered."""
        for klass in type(exc).__mro__:
            rule = self._rules.get(klass)
            if rule is not None:
                return rule
        return None

    def code_for(self, exc: BaseException) -> ErrorCode:
        """The error code ``exc`` is answered with (``internal`` when unmapped)."""
        rule = self.lookup(exc)
        return rule.code if rule is not None else "internal"

    @staticmethod
    def invalid(message: str) -> JSONResponse:
        """A 422 ``invalid_request`` answer for a check a route makes itself."""
        return error_response(422, "invalid_request", message)

    def respond(self, exc: BaseException) -> JSONResponse | None:
        """The error answer for ``exc``, or None when it is not mapped."""
        rule = self.lookup(exc)
        if rule is None:
            return None
        headers: dict[str, str] = {}
        if rule.retry_after is not None:
            seconds = rule.retry_after(exc)
            if seconds is not None:
                headers["Retry-After"] = str(max(1, math.ceil(seconds)))
        message = rule.message(exc) if rule.message is not None else str(exc)
        return error_response(rule.status, rule.code, message or rule.code, headers or None)


def _field_path(loc: Sequence[Any]) -> str:
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "request"


def validation_message(errors: Sequence[Any]) -> str:
    """One line naming each invalid field, e.g. ``query.symbols: Field required``.

    Input values are left out on purpose: they may hold secrets.
    """
    parts = []
    for error in list(errors)[:5]:
        loc = error.get("loc", ()) if isinstance(error, dict) else ()
        msg = error.get("msg", "invalid") if isinstance(error, dict) else str(error)
        parts.append(f"{_field_path(loc)}: {msg}")
    if len(errors) > 5:
        parts.append(f"(and {len(errors) - 5} more)")
    return "; ".join(parts) or "invalid request"


def internal_error_response(request_id: str | None) -> JSONResponse:
    """The answer to an unexpected failure: no detail beyond the request id to quote."""
    suffix = f" (request id {request_id})" if request_id else ""
    return error_response(500, "internal", f"internal error{suffix}")


def install_error_handlers(app: FastAPI, error_map: ErrorMap) -> None:
    """Register the handlers that turn every failure into the one error shape.

    Args:
        app: the application.
        error_map: the package exception mappings.
    """

    async def on_http_exception(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, StarletteHTTPException):  # pragma: no cover - registered for it
            return internal_error_response(None)
        headers = dict(exc.headers) if exc.headers else None
        message = str(exc.detail) or "request refused"
        if exc.status_code == 400:
            # FastAPI's answer to a body it cannot decode (not UTF-8, say): bad input is a 422.
            return error_response(422, "invalid_request", f"body: {message}")
        return error_response(exc.status_code, code_for_status(exc.status_code), message, headers)

    async def on_validation_error(request: Request, exc: Exception) -> JSONResponse:
        if not isinstance(exc, RequestValidationError):  # pragma: no cover - registered for it
            return internal_error_response(None)
        return error_response(422, "invalid_request", validation_message(exc.errors()))

    async def on_package_error(request: Request, exc: Exception) -> JSONResponse:
        response = error_map.respond(exc)
        if response is not None:
            if response.status_code >= 500:
                logger.warning(
                    "upstream failure answered %s",
                    response.status_code,
                    extra={"error_type": type(exc).__name__, "path": request.url.path},
                )
            return response
        logger.error("unmapped exception", exc_info=exc, extra={"path": request.url.path})
        return internal_error_response(getattr(request.state, "request_id", None))

    app.add_exception_handler(StarletteHTTPException, on_http_exception)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    for exc_type in error_map.types:
        if issubclass(exc_type, Exception):
            app.add_exception_handler(exc_type, on_package_error)
