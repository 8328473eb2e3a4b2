"""Each package's exception tree, mapped once to an HTTP status and an error code."""

from __future__ import annotations

import statestore
from bridge._errors import ErrorMap, ErrorRule


def build_error_map() -> ErrorMap:
    """The mapping of every package's errors to answers (most specific class wins).

    Returns:
        A fresh `ErrorMap`.
    """
    errors = ErrorMap()
    errors.register(
        statestore.StateStoreError,
        ErrorRule(503, "provider_unavailable", message=lambda exc: "state store unavailable"),
    )
    return errors
