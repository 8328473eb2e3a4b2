"""One client for quotes, history, news, profiles and search across market-data providers."""

from marketdata._version import __version__ as __version__

__all__: list[str] = []
