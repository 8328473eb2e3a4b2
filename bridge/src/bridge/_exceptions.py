"""The bridge's own exceptions.

```
BridgeError                       base of everything the bridge raises itself
└── ConfigurationError(ValueError)  settings refused at start-up (the message says why)
    └── TokenFileError              the token file is unsafe, empty or cannot be written
```

Errors of the packages the bridge routes to are mapped to HTTP answers in `_errors.py`.
"""

from __future__ import annotations


class BridgeError(Exception):
    """Base of every exception the bridge raises itself."""


class ConfigurationError(BridgeError, ValueError):
    """Raised at start-up when the configuration is unsafe or inconsistent."""


class TokenFileError(ConfigurationError):
    """Raised when the token file is group/world-accessible, empty, or cannot be created."""
