"""The one exception tree of logkit.

::

    LogkitError                                  base of everything logkit raises
    ├── ConfigurationError(LogkitError, ValueError)   bad arguments or settings (misuse)
    ├── StateError(LogkitError, ValueError)           a persisted state file is unreadable or of
    │                                                 another schema version
    └── ExplainerError(LogkitError, RuntimeError)     the LLM endpoint failed, timed out or answered
        │                                             something that is not a chat completion
        └── ExplainerDisabledError(ExplainerError)    the explainer is off (no LOGKIT_LLM_URL)

Parsers never raise on input: a line they cannot read is reported as an ``unknown`` entry.
"""

from __future__ import annotations


class LogkitError(Exception):
    """Base class of every error logkit raises."""


class ConfigurationError(LogkitError, ValueError):
    """Raised when ``configure()`` or a component gets an invalid argument or setting."""


class StateError(LogkitError, ValueError):
    """Raised when persisted state (templates, read positions) cannot be loaded."""


class ExplainerError(LogkitError, RuntimeError):
    """Raised when the chat-completions endpoint fails, times out or answers nonsense."""


class ExplainerDisabledError(ExplainerError):
    """Raised when the explainer is used while no endpoint is configured."""
