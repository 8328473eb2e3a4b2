"""Helpers for tests of code that logs: :func:`capture_logs`.

Example:
    >>> import logging
    >>> from logkit.testing import capture_logs
    >>> with capture_logs() as events:
    ...     logging.getLogger("demo").warning("quote fetched", extra={"symbol": "IBM"})
    >>> events[0]["event"], events[0]["symbol"], events[0]["log_level"]
    ('quote fetched', 'IBM', 'warning')
"""

from __future__ import annotations

import logging
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

import structlog

from logkit._configure import shared_processors
from logkit._redact import Redactor

if TYPE_CHECKING:
    from collections.abc import Iterator, MutableMapping

__all__ = ["capture_logs"]


class _CapturingHandler(logging.Handler):
    def __init__(self, sink: list[dict[str, Any]], level: int) -> None:
        super().__init__(level)
        self.sink = sink
        self._formatter = structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared_processors(),
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                Redactor(),
                self._capture,
            ],
        )

    def _capture(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> str:
        event_dict.setdefault("log_level", event_dict.pop("level", method_name))
        self.sink.append(dict(event_dict))
        return ""

    def emit(self, record: logging.LogRecord) -> None:
        self._formatter.format(record)


@contextmanager
def capture_logs(level: int | str = logging.DEBUG) -> Iterator[list[dict[str, Any]]]:
    """Capture every event (structlog and stdlib) as processed dicts, secrets already redacted.

    Each dict has ``event``, ``log_level``, ``logger``, ``timestamp``, the context variables
    (``request_id``…) and the extras.  The previous logging set-up is restored afterwards.

    Args:
        level: the lowest level captured.

    Yields:
        The list that receives the events.
    """
    lvl = logging.getLevelName(level) if isinstance(level, str) else level
    events: list[dict[str, Any]] = []
    handler = _CapturingHandler(events, lvl)
    root = logging.getLogger()
    old_level = root.level
    old_config = structlog.get_config()
    root.addHandler(handler)
    root.setLevel(min(lvl, old_level) if old_level else lvl)
    structlog.configure(
        processors=[
            *shared_processors(),
            structlog.stdlib.PositionalArgumentsFormatter(),
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,
    )
    try:
        yield events
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        structlog.configure(**old_config)
