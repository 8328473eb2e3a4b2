"""The hot path of ``configure()``: from a ``LogRecord`` to one rendered line, in one function.

structlog's ``ProcessorFormatter`` copies every record and runs a dozen generic processors;
:class:`LogkitFormatter` builds the same event dict directly (event, context variables, level,
logger, extras, UTC timestamp, stack, exception), redacts it, and serialises JSON with orjson.
The keys, their order and the redaction are those of the processor chain it replaces.
"""

from __future__ import annotations

import datetime
import json
import logging
import time
from typing import TYPE_CHECKING, Any, Literal

import orjson
import structlog

if TYPE_CHECKING:
    from structlog.types import Processor

    from logkit._redact import Redactor

# Attributes every LogRecord has; anything else on a record came from ``extra``.  ``message``
# and ``asctime`` are set by other formatters of the same record, never by ``extra``.
_LATE_KEYS = frozenset({"message", "asctime"})
_RECORD_KEYS = (
    frozenset(logging.LogRecord("name", 0, "pathname", 0, "msg", (), None).__dict__) | _LATE_KEYS
)
_LEVEL_ALIASES = {"warn": "warning", "exception": "error"}
# levelname -> (method name, level as structlog names it); a handful of entries.
_level_names: dict[str, tuple[str, str]] = {}
_JSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)

# (second, "YYYY-MM-DDTHH:MM:SS"), replaced as one object so threads never see half of it.
_stamp_cache: tuple[int, str] = (-1, "")


def utc_stamp(created: float) -> str:
    """ISO-8601 UTC with microseconds and ``Z``; the date is formatted once per second."""
    global _stamp_cache
    second = int(created)
    cached = _stamp_cache
    if cached[0] != second:
        stamp = datetime.datetime.fromtimestamp(second, tz=datetime.UTC)
        cached = _stamp_cache = (second, stamp.strftime("%Y-%m-%dT%H:%M:%S"))
    micro = int((created - second) * 1_000_000 + 0.5)
    return "%s.%06dZ" % (cached[1], micro if micro < 1_000_000 else 999_999)  # noqa: UP031


def dumps_json(event_dict: Any) -> str:
    """Serialise an event as one compact JSON object (orjson; the stdlib for the odd value).

    Values orjson does not know (``Decimal``, ``datetime``, pydantic models…) become ``str()``,
    as with ``json.dumps(default=str)``; integers past 64 bits and lone surrogates fall back to
    ``json.dumps``.
    """
    try:
        return orjson.dumps(event_dict, default=str, option=_JSON_OPTIONS).decode()
    except TypeError:
        return json.dumps(event_dict, default=str, separators=(",", ":"))


class LogkitFormatter(structlog.stdlib.ProcessorFormatter):
    """Renders stdlib records and structlog events as JSON lines or readable console lines.

    It is a ``structlog.stdlib.ProcessorFormatter`` (same processors and attributes, so code
    that inspects it keeps working) whose ``format`` takes a direct route.

    Args:
        fmt: ``json`` or ``console``.
        colors: colour the console renderer.
        pre_chain: the processors of stdlib records (kept for inspection; ``format`` applies
            the same steps directly).
        final: the processors applied before rendering (likewise).
        redactor: the redaction applied to every event.
        renderer: the structlog renderer of the console format (JSON is written directly).
    """

    def __init__(
        self,
        fmt: Literal["json", "console"],
        *,
        colors: bool = False,
        pre_chain: list[Processor],
        final: list[Processor],
        redactor: Redactor,
        renderer: Processor,
    ) -> None:
        super().__init__(foreign_pre_chain=pre_chain, processors=final)
        self._json = fmt == "json"
        self._renderer = renderer
        self._redactor = redactor
        self._colors = colors

    def format(self, record: logging.LogRecord) -> str:
        """Render one record (from stdlib ``logging`` or from structlog) as one line."""
        attrs = record.__dict__
        msg = record.msg
        if "_logger" in attrs and "_name" in attrs and isinstance(msg, dict):
            # From structlog: its own chain already added context, level, logger and time.
            method: str = attrs["_name"]
            event_dict: dict[str, Any] = msg.copy()
            event_dict.pop("_record", None)
            event_dict.pop("_from_structlog", None)
            if "exc_info" in event_dict:
                structlog.processors.format_exc_info(None, method, event_dict)
        else:
            levelname = record.levelname
            names = _level_names.get(levelname)
            if names is None:
                method = levelname.lower()
                names = _level_names[levelname] = (method, _LEVEL_ALIASES.get(method, method))
            method = names[0]
            event_dict = {"event": record.getMessage()}
            structlog.contextvars.merge_contextvars(None, method, event_dict)
            event_dict["level"] = names[1]
            event_dict["logger"] = record.name
            # ``extra`` fields are appended to the record's attributes after the standard
            # ones, so they are read from the end back to the first standard attribute
            # (``message``/``asctime``, set later by other formatters, are stepped over).
            extras: list[str] = []
            for key in reversed(attrs):
                if key in _RECORD_KEYS:
                    if key in _LATE_KEYS:
                        continue
                    break
                extras.append(key)
            for key in reversed(extras):
                event_dict[key] = attrs[key]
            if "timestamp" not in event_dict:
                event_dict["timestamp"] = utc_stamp(record.created)
            if record.stack_info:
                event_dict["stack"] = record.stack_info
            if record.exc_info:
                event_dict["exception"] = record.exc_text or self.formatException(record.exc_info)
        self._redactor(None, method, event_dict)
        if self._json:
            return dumps_json(event_dict)
        return str(self._renderer(None, method, event_dict))


def structlog_preprocessor(logger: Any, method_name: str, event_dict: Any) -> Any:
    """structlog's side of the chain in one step: context, level, logger name, UTC time.

    Equivalent to ``merge_contextvars``, ``add_log_level``, ``add_logger_name``, the UTC
    timestamp, ``StackInfoRenderer`` and ``PositionalArgumentsFormatter`` in a row, for events
    of a structlog logger (no stdlib record yet).
    """
    structlog.contextvars.merge_contextvars(logger, method_name, event_dict)
    event_dict["level"] = _LEVEL_ALIASES.get(method_name, method_name)
    event_dict["logger"] = logger.name
    if "timestamp" not in event_dict:
        event_dict["timestamp"] = utc_stamp(time.time())
    if "stack_info" in event_dict:
        event_dict = _stack_info(logger, method_name, event_dict)
    if "positional_args" in event_dict:
        event_dict = _positional(logger, method_name, event_dict)
    return event_dict


_stack_info = structlog.processors.StackInfoRenderer(additional_ignores=[__name__])
_positional = structlog.stdlib.PositionalArgumentsFormatter()
