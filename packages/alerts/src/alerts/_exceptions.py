"""The one exception tree of :mod:`alerts`.

::

    AlertsError                                   base of everything raised on purpose
    ├── RuleValidationError(AlertsError, ValueError)   a rules file or rule is invalid
    ├── UnknownRuleError(AlertsError, KeyError)        no rule with that id in the repository
    ├── DuplicateRuleError(AlertsError, ValueError)    a rule with that id already exists
    ├── SignatureVerificationError(AlertsError, ValueError)  a signed request does not verify
    ├── ChannelError                                   a channel could not deliver
    │   ├── ChannelRateLimitedError                    429: retry after ``retry_after`` seconds
    │   ├── ChannelTransientError                      5xx, timeout, connection: retry with backoff
    │   └── ChannelPermanentError                      4xx, bad config: retrying will not help
    ├── ActionError                                    an action failed (non-zero exit, HTTP error)
    │   └── ActionNotAllowedError(ActionError, PermissionError)  command not on the allow-list
    └── UnknownChannelError(AlertsError, LookupError)  a rule names a channel that is not configured

Misuse (``RuleValidationError``, ``UnknownRuleError``, ``DuplicateRuleError``,
``UnknownChannelError``, ``ActionNotAllowedError``) is separate from runtime delivery failures
(``ChannelError``, ``ActionError``), which the delivery worker retries or dead-letters.
"""

from __future__ import annotations

from dataclasses import dataclass


class AlertsError(Exception):
    """Base class of every error :mod:`alerts` raises on purpose."""


@dataclass(frozen=True)
class ValidationIssue:
    """One problem in a rules document.

    Attributes:
        location: dotted path of the field, e.g. ``rules[2].threshold``.
        message: what is wrong.
        line: 1-based line in the source file, when known.
    """

    location: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        where = f"line {self.line}: " if self.line is not None else ""
        return f"{where}{self.location}: {self.message}"


class RuleValidationError(AlertsError, ValueError):
    """Raised when a rules file or a rule does not validate.

    Attributes:
        issues: every problem found, each with its field path and source line.
        source: the file name, when the rules came from a file.
    """

    def __init__(self, issues: list[ValidationIssue], source: str | None = None) -> None:
        self.issues = issues
        self.source = source
        head = f"{source}: " if source else ""
        body = "; ".join(str(i) for i in issues) or "invalid rules"
        super().__init__(f"{head}{len(issues)} problem(s): {body}")


class UnknownRuleError(AlertsError, KeyError):
    """Raised when a rule id is not in the repository."""

    def __str__(self) -> str:
        return f"unknown rule: {self.args[0]!s}" if self.args else "unknown rule"


class DuplicateRuleError(AlertsError, ValueError):
    """Raised when creating a rule whose id already exists."""


class UnknownChannelError(AlertsError, LookupError):
    """Raised when a rule or a command names a channel that is not configured."""


class SignatureVerificationError(AlertsError, ValueError):
    """Raised by the ``verify`` helpers when a signature, timestamp or replay check fails."""


class ChannelError(AlertsError):
    """A channel could not deliver a notification."""


class ChannelRateLimitedError(ChannelError):
    """The service answered 429; retry after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class ChannelTransientError(ChannelError):
    """A failure that may pass (5xx, timeout, refused connection); retried with backoff."""


class ChannelPermanentError(ChannelError):
    """A failure that retrying cannot fix (4xx other than 408/429, bad configuration)."""


class ActionError(AlertsError):
    """An action failed: non-zero exit status, timeout or an HTTP error."""


class ActionNotAllowedError(ActionError, PermissionError):
    """A command action names an executable that is not on the allow-list."""
