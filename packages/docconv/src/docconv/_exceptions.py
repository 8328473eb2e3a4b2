"""Every error docconv raises.

```
DocconvError                                   base of everything below
├── DocconvUsageError(DocconvError, TypeError)  the caller passed something docconv cannot take
├── ParseError(DocconvError, ValueError)       the input is not well-formed; has line and column
│   ├── MalformedJSONError                     JSON syntax error, duplicate key, NaN/Infinity
│   └── MalformedXMLError                      XML syntax or namespace error
├── SecurityError(DocconvError)                 refused by the safety policy (never retried)
│   ├── EntitiesForbiddenError                 the document declares entities (bombs, XXE)
│   ├── ExternalReferenceError                 an external DTD or resource would be needed
│   └── LimitExceededError                     size, depth or amplification limit exceeded
└── MappingError(DocconvError, ValueError)     well-formed, but the chosen mapping cannot hold it
    ├── InvalidNameError                       a key that must be an XML name is not one
    ├── UnrepresentableError                   a character or value XML/JSON cannot carry
    └── LossyConversionError                   the readable mapping would silently drop data
```
"""

from __future__ import annotations


class DocconvError(Exception):
    """Base class of every docconv error."""


class DocconvUsageError(DocconvError, TypeError):
    """Raised when an argument has a type or value docconv does not accept (a bug in the caller)."""


class ParseError(DocconvError, ValueError):
    """Raised when the input is not well-formed.

    Attributes:
        line: 1-based line of the error, or None when unknown.
        column: 1-based column of the error, or None when unknown.
        reason: the message without the position.
    """

    def __init__(self, reason: str, *, line: int | None = None, column: int | None = None) -> None:
        self.reason = reason
        self.line = line
        self.column = column
        where = f" (line {line}, column {column})" if line is not None else ""
        super().__init__(f"{reason}{where}")


class MalformedJSONError(ParseError):
    """Raised for JSON that is not well-formed, has duplicate keys, or uses NaN/Infinity."""


class MalformedXMLError(ParseError):
    """Raised for XML that is not well-formed (syntax, encoding or namespace errors)."""


class SecurityError(DocconvError):
    """Raised when the safety policy refuses a document; the message says which rule."""


class EntitiesForbiddenError(SecurityError):
    """Raised when a document declares entities (entity bombs, XXE, parameter entities)."""


class ExternalReferenceError(SecurityError):
    """Raised when a document refers to an external DTD or resource (nothing is ever fetched)."""


class LimitExceededError(SecurityError):
    """Raised when a size, depth or amplification limit is exceeded."""


class MappingError(DocconvError, ValueError):
    """Raised when well-formed input does not fit the chosen mapping.

    Attributes:
        path: where in the document the problem is (``/a/b[2]`` style), or empty.
    """

    def __init__(self, message: str, *, path: str = "") -> None:
        self.path = path
        super().__init__(f"{message} at {path}" if path else message)


class InvalidNameError(MappingError):
    """Raised when a key or tag that must be an XML name is not one (never renamed silently)."""


class UnrepresentableError(MappingError):
    """Raised when a character or value cannot be carried by the target format."""


class LossyConversionError(MappingError):
    """Raised when the readable mapping would drop or reorder data (``strict=False`` accepts it)."""
