"""Shared state for Switchyard: cache, locks, rate limits, queues and streams on SQLite or Redis."""

from statestore._version import __version__ as __version__

__all__: list[str] = []
