"""The loopback HTTP service WordPress calls: one API over every Switchyard package."""

from bridge._app import create_app
from bridge._exceptions import BridgeError, ConfigurationError, TokenFileError
from bridge._settings import Settings
from bridge._version import __version__ as __version__

__all__ = ["BridgeError", "ConfigurationError", "Settings", "TokenFileError", "create_app"]
