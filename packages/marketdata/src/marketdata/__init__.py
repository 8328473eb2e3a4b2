"""One client for quotes, history, news, profiles and search across market-data providers.

Example::

    from marketdata import MarketData

    with MarketData() as md:
        quote = md.quote("IBM")
        print(quote.price, quote.provider, quote.stale)
"""

import logging as _logging

from marketdata._client import AsyncMarketData, MarketData, QuoteBatch
from marketdata._events import Subscription
from marketdata._exceptions import (
    ConfigurationError,
    InsecureSecretsFileError,
    InvalidRequestError,
    MarketDataError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from marketdata._keys import ApiKey, load_keys
from marketdata._models import (
    Bar,
    History,
    Interval,
    NewsItem,
    Profile,
    Quote,
    SymbolMatch,
    Tick,
    Trade,
)
from marketdata._settings import MarketDataSettings
from marketdata._symbols import normalize_symbol
from marketdata._version import __version__ as __version__

# A library attaches no handler of its own; this keeps Python's last-resort stderr handler
# from printing our warnings when the application configured no logging.
_logging.getLogger("marketdata").addHandler(_logging.NullHandler())

__all__ = [
    "ApiKey",
    "AsyncMarketData",
    "Bar",
    "ConfigurationError",
    "History",
    "InsecureSecretsFileError",
    "Interval",
    "InvalidRequestError",
    "MarketData",
    "MarketDataError",
    "MarketDataSettings",
    "NewsItem",
    "Profile",
    "ProviderUnavailableError",
    "Quote",
    "QuoteBatch",
    "RateLimitedError",
    "Subscription",
    "SymbolMatch",
    "Tick",
    "Trade",
    "UnknownSymbolError",
    "load_keys",
    "normalize_symbol",
]
