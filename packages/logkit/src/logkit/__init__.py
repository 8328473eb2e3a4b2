"""Structured logging for every part, and an analyser for PHP, WordPress and server logs."""

from logkit._version import __version__ as __version__

__all__: list[str] = []
