"""Lossless, fast, streaming and safe JSON <-> XML conversion."""

from docconv._version import __version__ as __version__

__all__: list[str] = []
