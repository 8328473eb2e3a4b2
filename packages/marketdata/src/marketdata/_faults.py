"""Internal fault signals between providers and the fetch engine.

Providers raise these from ``parse``; the engine turns them into retries, key rests,
failover, stale answers or one public error (see ``_exceptions``). They never leave the
package. Their messages are short and never contain a key or a URL.
"""

from __future__ import annotations


class Fault(Exception):  # noqa: N818 - internal signals, never raised to callers
    """A provider could not answer this query. ``retryable`` says whether to retry it."""

    retryable = False

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(reason)


class TransientFault(Fault):
    """Timeouts, connection errors, 5xx, empty or malformed bodies: worth a retry."""

    retryable = True


class LimitFault(Fault):
    """The key hit a limit (HTTP 429, or Alpha Vantage's HTTP-200 ``Note``/``Information``).

    Attributes:
        retry_after: Seconds the key should rest; None means the configured default.
        scope: ``key`` rests the whole key; ``endpoint`` only the endpoint that answered
            (Alpha Vantage's ``Information`` also means "premium-only endpoint").
    """

    def __init__(
        self, reason: str, retry_after: float | None = None, *, scope: str = "key"
    ) -> None:
        super().__init__(reason)
        self.retry_after = retry_after
        self.scope = scope


class AccessFault(Fault):
    """The key may not use this (401: the key is invalid; 403: premium-only resource).

    Attributes:
        whole_key: True when the key itself is refused (every request will fail).
    """

    def __init__(self, reason: str, *, whole_key: bool = False) -> None:
        super().__init__(reason)
        self.whole_key = whole_key


class UnknownFault(Fault):
    """The provider does not know the symbol (``{"Global Quote": {}}``, all-zero quotes)."""


class RequestFault(Fault):
    """The provider rejected the request itself (HTTP 400, 404, 422)."""
