"""Each package's exception tree, mapped once to an HTTP status and an error code."""

from __future__ import annotations

import alerts
import docconv
import marketdata
import statestore
from bridge._errors import ErrorMap, ErrorRule


def build_error_map() -> ErrorMap:
    """The mapping of every package's errors to answers (most specific class wins).

    Returns:
        A fresh `ErrorMap`.
    """
    errors = ErrorMap()
    errors.register(
        statestore.StateStoreError,
        ErrorRule(503, "provider_unavailable", message=lambda exc: "state store unavailable"),
    )
    _marketdata(errors)
    _docconv(errors)
    _alerts(errors)
    return errors


def _retry_after(exc: BaseException) -> float | None:
    value = getattr(exc, "retry_after", None)
    return float(value) if isinstance(value, int | float) else None


def _marketdata(errors: ErrorMap) -> None:
    errors.register(marketdata.MarketDataError, ErrorRule(503, "provider_unavailable"))
    errors.register(
        marketdata.ConfigurationError,
        ErrorRule(
            503,
            "provider_unavailable",
            message=lambda exc: "market data is not configured correctly; see the bridge log",
        ),
    )
    errors.register(marketdata.InvalidRequestError, ErrorRule(422, "invalid_request"))
    errors.register(marketdata.UnknownSymbolError, ErrorRule(404, "unknown_symbol"))
    errors.register(
        marketdata.RateLimitedError,
        ErrorRule(429, "rate_limited", retry_after=_retry_after),
    )
    errors.register(marketdata.ProviderUnavailableError, ErrorRule(503, "provider_unavailable"))


def _docconv(errors: ErrorMap) -> None:
    errors.register(docconv.DocconvError, ErrorRule(422, "invalid_request"))
    errors.register(docconv.LimitExceededError, ErrorRule(413, "payload_too_large"))


def _alerts(errors: ErrorMap) -> None:
    errors.register(alerts.AlertsError, ErrorRule(422, "invalid_request"))
    errors.register(alerts.UnknownRuleError, ErrorRule(404, "not_found"))
    errors.register(alerts.DuplicateRuleError, ErrorRule(409, "invalid_request"))
    errors.register(
        alerts.ChannelRateLimitedError, ErrorRule(429, "rate_limited", retry_after=_retry_after)
    )
    errors.register(alerts.ChannelError, ErrorRule(503, "provider_unavailable"))
    errors.register(alerts.ActionError, ErrorRule(503, "provider_unavailable"))
