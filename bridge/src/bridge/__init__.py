"""The loopback HTTP service WordPress calls: one API over every Switchyard package."""

from bridge._version import __version__ as __version__

__all__: list[str] = []
