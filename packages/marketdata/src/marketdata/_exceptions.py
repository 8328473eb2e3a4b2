"""The one exception tree of ``marketdata``.

Every failure a caller can see is one of these; no ``httpx`` (or ``websockets``)
exception escapes the package::

    MarketDataError                      base of everything raised at runtime
    ├── ConfigurationError(ValueError)   settings or key sources refused at start-up
    │   └── InsecureSecretsFileError(PermissionError)
    │                                    the TOML secrets file is readable by others
    ├── InvalidRequestError(ValueError)  the call itself is wrong (bad interval, dates, symbol text)
    ├── UnknownSymbolError(LookupError)  no provider knows the symbol
    ├── RateLimitedError                 every usable budget is spent; ``retry_after`` seconds
    └── ProviderUnavailableError(ConnectionError)
                                         every provider failed (timeouts, 5xx, malformed bodies,
                                         refused keys, premium-only endpoints) and no stale
                                         copy was cached
"""

from __future__ import annotations

from typing import ClassVar

__all__ = [
    "ConfigurationError",
    "InsecureSecretsFileError",
    "InvalidRequestError",
    "MarketDataError",
    "ProviderUnavailableError",
    "RateLimitedError",
    "UnknownSymbolError",
]


class MarketDataError(Exception):
    """Base class of every error raised by ``marketdata`` at runtime.

    Attributes:
        code: A stable machine-readable code (the bridge's error codes).
    """

    code: ClassVar[str] = "internal"


class ConfigurationError(MarketDataError, ValueError):
    """Raised when settings or a key source (secrets file, Vault) cannot be used."""

    code: ClassVar[str] = "configuration"


class InsecureSecretsFileError(ConfigurationError, PermissionError):
    """Raised when the TOML secrets file is not mode 0600 (readable by group or others)."""


class InvalidRequestError(MarketDataError, ValueError):
    """Raised when a call's arguments are invalid (unknown interval, start after end, ...)."""

    code: ClassVar[str] = "invalid_request"


class UnknownSymbolError(MarketDataError, LookupError):
    """Raised when the providers that answered do not know the symbol.

    Attributes:
        symbol: The symbol as asked.
    """

    code: ClassVar[str] = "unknown_symbol"

    def __init__(self, symbol: str, message: str | None = None) -> None:
        self.symbol = symbol
        super().__init__(message or f"unknown symbol: {symbol}")


class RateLimitedError(MarketDataError):
    """Raised when every provider's budget (or every key) is spent and no stale copy exists.

    Attributes:
        retry_after: Seconds after which a retry can succeed.
    """

    code: ClassVar[str] = "rate_limited"

    def __init__(self, message: str, *, retry_after: float) -> None:
        self.retry_after = max(0.0, float(retry_after))
        super().__init__(f"{message} (retry after {self.retry_after:.0f} s)")


class ProviderUnavailableError(MarketDataError, ConnectionError):
    """Raised when no provider could answer and no stale copy is cached.

    Attributes:
        reasons: One short reason per provider tried (never containing a key).
    """

    code: ClassVar[str] = "provider_unavailable"

    def __init__(self, message: str, *, reasons: dict[str, str] | None = None) -> None:
        self.reasons = dict(reasons or {})
        detail = "; ".join(f"{name}: {why}" for name, why in self.reasons.items())
        super().__init__(f"{message} ({detail})" if detail else message)
