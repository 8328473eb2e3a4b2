"""``configure()``: one call that sets up structlog and stdlib logging together."""

from __future__ import annotations

import logging
import sys
import threading
import time
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal

import structlog

from logkit._exceptions import ConfigurationError
from logkit._redact import Redactor
from logkit._render import LogkitFormatter, dumps_json, structlog_preprocessor, utc_stamp
from logkit._settings import LogkitSettings
from logkit._sink import ConcurrentRotatingFileHandler

if TYPE_CHECKING:
    import os
    from collections.abc import Mapping, Sequence

    from structlog.types import Processor

_HANDLER_MARK = "_logkit_handler"
_lock = threading.Lock()

Format = Literal["json", "console", "auto"]


def _level(value: str | int) -> int:
    if isinstance(value, int):
        return value
    number = logging.getLevelName(value.strip().upper())
    if not isinstance(number, int):
        raise ConfigurationError(f"unknown log level {value!r}")
    return number


def add_utc_timestamp(logger: Any, method_name: str, event_dict: Any) -> Any:
    """Add ``timestamp`` (ISO-8601 UTC, microseconds, ``Z``), from the stdlib record if any.

    Using the stdlib record's creation time keeps the file and the console in agreement.
    """
    if "timestamp" not in event_dict:
        record = event_dict.get("_record")
        event_dict["timestamp"] = utc_stamp(record.created if record is not None else time.time())
    return event_dict


def shared_processors() -> list[Processor]:
    """The processors every event goes through, from structlog or from stdlib ``logging``.

    Context variables (request id), level, logger name, stdlib ``extra`` fields, a UTC ISO-8601
    timestamp, stack/exception info.  Redaction and rendering come after (see ``configure``).
    """
    return [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        add_utc_timestamp,
        structlog.processors.StackInfoRenderer(),
    ]


def _final_processors(renderer: Processor, redactor: Redactor) -> list[Processor]:
    return [
        structlog.stdlib.ProcessorFormatter.remove_processors_meta,
        structlog.processors.format_exc_info,
        structlog.processors.UnicodeDecoder(),
        redactor,
        renderer,
    ]


def build_formatter(fmt: Literal["json", "console"], *, colors: bool = False) -> logging.Formatter:
    """A stdlib formatter that renders any record through logkit's processor chain.

    Args:
        fmt: ``json`` for one JSON object per line, ``console`` for a readable line.
        colors: colour the console renderer.

    Returns:
        A ``structlog.stdlib.ProcessorFormatter`` (a :class:`LogkitFormatter`, which renders
        with the same steps on a direct, faster route).
    """
    renderer: Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer(serializer=_serialize)
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=colors, sort_keys=True)
    redactor = Redactor()
    return LogkitFormatter(
        fmt,
        colors=colors,
        pre_chain=shared_processors(),
        final=_final_processors(renderer, redactor),
        redactor=redactor,
        renderer=renderer,
    )


def _serialize(event_dict: Any, **_: Any) -> str:
    return dumps_json(event_dict)


class _StderrHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever ``sys.stderr`` is at the time of each event.

    Test runners and CLIs swap ``sys.stderr``; a handler bound to the stream of the moment
    ``configure()`` ran would write to a closed file afterwards.
    """

    def __init__(self) -> None:
        super().__init__(sys.stderr)

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


def _remove_our_handlers(root: logging.Logger) -> None:
    for handler in list(root.handlers):
        if getattr(handler, _HANDLER_MARK, False):
            root.removeHandler(handler)
            handler.close()


def configure(
    *,
    level: str | int | None = None,
    fmt: Format | None = None,
    file: str | os.PathLike[str] | None = None,
    stream: IO[str] | Literal[False] | None = None,
    max_bytes: int | None = None,
    backups: int | None = None,
    levels: Mapping[str, str | int] | None = None,
    secrets: Sequence[str] = (),
    settings: LogkitSettings | None = None,
) -> None:
    """Set up structlog and stdlib logging once, for the whole process.

    Every event — ``structlog.get_logger().info("x", a=1)`` or
    ``logging.getLogger(__name__).info("x", extra={"a": 1})`` — goes through the same chain:
    context variables (``request_id``), level, logger name, extras, a UTC timestamp, exception
    text, redaction of secrets, then a JSON or console renderer.  Calling it again replaces the
    previous set-up (handlers added by others are left alone).

    Args:
        level: minimum level (default ``LOGKIT_LEVEL`` or ``INFO``).
        fmt: ``json``, ``console`` or ``auto`` (console on a terminal, JSON otherwise); default
            ``LOGKIT_FORMAT`` or ``auto``.
        file: also append JSON lines to this file (rotating, multi-process safe); default
            ``LOGKIT_FILE``; when unwritable, events go to stderr after one warning.
        stream: the console stream (default ``sys.stderr``); ``False`` for none.
        max_bytes: rotate the file at this size (default ``LOGKIT_MAX_BYTES``, 10 MiB).
        backups: rotated files kept (default ``LOGKIT_BACKUPS``, 5).
        levels: per-logger levels, e.g. ``{"httpx": "WARNING"}``.
        secrets: literal secrets to mask (see ``register_secret``).
        settings: settings to read defaults from (default: from the environment).

    Raises:
        ConfigurationError: an unknown level or format.
    """
    from logkit._redact import register_secret

    cfg = settings or LogkitSettings()
    lvl = _level(level if level is not None else cfg.level)
    chosen = fmt or cfg.format
    if chosen not in ("json", "console", "auto"):
        raise ConfigurationError(f"unknown format {chosen!r}; use json, console or auto")
    out: IO[str] | None = sys.stderr if stream is None else (stream or None)
    if chosen == "auto":
        tty = out is not None and hasattr(out, "isatty") and out.isatty()
        chosen = "console" if tty else "json"
    for secret in secrets:
        register_secret(secret)

    with _lock:
        root = logging.getLogger()
        _remove_our_handlers(root)
        file_path = file if file is not None else cfg.file
        file_handler: ConcurrentRotatingFileHandler | None = None
        if file_path is not None:
            file_handler = ConcurrentRotatingFileHandler(
                Path(file_path).expanduser(),
                max_bytes=cfg.max_bytes if max_bytes is None else max_bytes,
                backups=cfg.backups if backups is None else backups,
                fallback=out if out is not None else sys.stderr,
            )
            file_handler.setFormatter(build_formatter("json"))
            setattr(file_handler, _HANDLER_MARK, True)
            root.addHandler(file_handler)
        # When the file failed and falls back to the console stream, don't print twice.
        if out is not None and not (
            file_handler is not None and file_handler.using_fallback and chosen == "json"
        ):
            console: logging.StreamHandler[Any] = (
                _StderrHandler() if stream is None else logging.StreamHandler(out)
            )
            colors = chosen == "console" and hasattr(out, "isatty") and out.isatty()
            console.setFormatter(build_formatter(chosen, colors=colors))
            setattr(console, _HANDLER_MARK, True)
            root.addHandler(console)
            if file_handler is not None:
                file_handler.fallback_enabled = False  # the console already shows every event
        root.setLevel(lvl)
        for name, value in (levels or {}).items():
            logging.getLogger(name).setLevel(_level(value))
        logging.captureWarnings(True)

        structlog.configure(
            processors=[
                structlog.stdlib.filter_by_level,
                # shared_processors(), stack and positional arguments in one step
                structlog_preprocessor,
                structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
            ],
            logger_factory=structlog.stdlib.LoggerFactory(),
            wrapper_class=structlog.stdlib.BoundLogger,
            cache_logger_on_first_use=True,
        )


def get_logger(name: str | None = None, **initial_values: Any) -> Any:
    """Return a structlog logger (``structlog.stdlib.BoundLogger``) named ``name``."""
    return structlog.get_logger(name, **initial_values)
