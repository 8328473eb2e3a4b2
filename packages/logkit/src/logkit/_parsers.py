"""Parsers for PHP, WordPress, PHP-FPM, nginx, Apache, JSON-lines and syslog logs.

Every physical line ends up in exactly one :class:`LogEntry` (``line``..``end_line``); lines that
continue an entry (PHP stack traces, a wpdb query over several lines, an nginx FastCGI message
with embedded newlines, Xdebug ``PHP Stack trace:`` frames) are folded into it.  A line no
parser recognises becomes an entry of format ``raw``: parsers never raise on input.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import BaseModel, Field

from logkit._exceptions import ConfigurationError

if TYPE_CHECKING:
    from collections.abc import Callable, Iterable, Iterator

Level = Literal["debug", "info", "notice", "warning", "error", "critical"]
FORMATS = (
    "php",
    "php_fpm",
    "nginx_error",
    "apache_error",
    "access",
    "json",
    "syslog",
    "raw",
)
ERROR_LEVELS = frozenset({"error", "critical"})
MAX_ENTRY_LINES = 1000
MAX_ENTRY_CHARS = 256 * 1024


class LogEntry(BaseModel):
    """One log entry, possibly spanning several physical lines.

    Attributes:
        line: number (1-based) of its first physical line.
        end_line: number of its last physical line.
        format: the format that parsed it (``raw`` when none did).
        timestamp: when it was logged (UTC), when the line says so.
        level: normalised level, when known.
        message: the message of the first line, without timestamp and level: what templates
            are mined from.
        text: the entry's full text (all its physical lines joined with ``\\n``).
        fields: other parsed fields (``client``, ``status``, ``pool``, ``program``…).
    """

    line: int
    end_line: int
    format: str
    timestamp: dt.datetime | None = None
    level: Level | None = None
    message: str
    text: str
    fields: dict[str, Any] = Field(default_factory=dict)

    @property
    def is_error(self) -> bool:
        """True for ``error`` and ``critical`` entries."""
        return self.level in ERROR_LEVELS


@dataclass(slots=True)
class _Head:
    timestamp: dt.datetime | None
    level: Level | None
    message: str
    fields: dict[str, Any]
    continues: bool = False  # a timestamped line that still belongs to the previous entry


_LEVEL_WORDS: dict[str, Level] = {
    "debug": "debug",
    "trace": "debug",
    "info": "info",
    "information": "info",
    "informational": "info",
    "notice": "notice",
    "deprecated": "notice",
    "strict standards": "notice",
    "user notice": "notice",
    "user deprecated": "notice",
    "warn": "warning",
    "warning": "warning",
    "user warning": "warning",
    "core warning": "warning",
    "compile warning": "warning",
    "error": "error",
    "err": "error",
    "user error": "error",
    "recoverable fatal error": "error",
    "catchable fatal error": "error",
    "fatal error": "critical",
    "parse error": "critical",
    "core error": "critical",
    "compile error": "critical",
    "fatal": "critical",
    "crit": "critical",
    "critical": "critical",
    "alert": "critical",
    "emerg": "critical",
    "emergency": "critical",
    "panic": "critical",
}
_SYSLOG_SEVERITY: tuple[Level, ...] = (
    "critical",
    "critical",
    "critical",
    "error",
    "warning",
    "notice",
    "info",
    "debug",
)


def normalise_level(word: str | None) -> Level | None:
    """Map a level word of any of the formats (``Fatal error``, ``WARN``, ``crit``…) to ours."""
    if not word:
        return None
    return _LEVEL_WORDS.get(word.strip().lower().rstrip(":"))


def _tz(name: str | None) -> dt.tzinfo:
    if not name or name.upper() in ("UTC", "GMT", "Z"):
        return dt.UTC
    if re.fullmatch(r"[+-]\d{2}:?\d{2}", name):
        sign = 1 if name[0] == "+" else -1
        digits = name[1:].replace(":", "")
        return dt.timezone(sign * dt.timedelta(hours=int(digits[:2]), minutes=int(digits[2:])))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.UTC


def _utc(value: dt.datetime, tz: str | None = None) -> dt.datetime:
    if value.tzinfo is None:
        value = value.replace(tzinfo=_tz(tz))
    return value.astimezone(dt.UTC)


def _strptime(text: str, fmt: str, tz: str | None = None) -> dt.datetime | None:
    try:
        return _utc(dt.datetime.strptime(text, fmt), tz)
    except ValueError:
        return None


# -- PHP error log / WordPress debug.log ---------------------------------------------------------
_PHP_TS = r"\[(\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2})(?: ([A-Za-z_/+\-0-9:]+))?\]"
_PHP = re.compile(_PHP_TS + r" (.*)$")
_PHP_BARE = re.compile(
    r"^PHP (Fatal error|Parse error|Warning|Notice|Deprecated|Strict Standards|"
    r"Recoverable fatal error|Catchable fatal error|Core warning|Core error|"
    r"Compile warning|Compile error|User error|User warning|User notice|User deprecated)"
    r":\s+(.*)$"
)
_PHP_LEVEL = re.compile(
    r"^PHP ([A-Za-z ]+?):\s+(.*)$",
)
_PHP_XDEBUG_FRAME = re.compile(r"^PHP (?:Stack trace:|\s*\d+\.\s)")


def _php(line: str) -> _Head | None:
    match = _PHP.match(line)
    if match is None:
        bare = _PHP_BARE.match(line)
        if bare is None:
            return None
        return _Head(
            None, normalise_level(bare.group(1)), bare.group(2), {"php_level": bare.group(1)}
        )
    stamp, tz, rest = match.groups()
    timestamp = _strptime(stamp, "%d-%b-%Y %H:%M:%S", tz)
    if _PHP_XDEBUG_FRAME.match(rest):
        return _Head(timestamp, None, rest, {}, continues=True)
    level_match = _PHP_LEVEL.match(rest)
    if level_match is not None and normalise_level(level_match.group(1)) is not None:
        word = level_match.group(1)
        return _Head(timestamp, normalise_level(word), level_match.group(2), {"php_level": word})
    level: Level | None = "error" if rest.startswith("WordPress database error") else None
    return _Head(timestamp, level, rest, {})


# -- PHP-FPM -------------------------------------------------------------------------------------
_FPM = re.compile(
    r"^\[(\d{2}-[A-Za-z]{3}-\d{4} \d{2}:\d{2}:\d{2})(?:\.\d+)?\] "
    r"(DEBUG|NOTICE|WARNING|ERROR|ALERT|EMERGENCY|INFO): (?:\[pool ([^\]]+)\] )?(.*)$"
)


def _fpm(line: str) -> _Head | None:
    match = _FPM.match(line)
    if match is None:
        return None
    stamp, word, pool, message = match.groups()
    fields: dict[str, Any] = {"pool": pool} if pool else {}
    child = re.match(r"child (\d+)", message)
    if child:
        fields["child"] = int(child.group(1))
    return _Head(_strptime(stamp, "%d-%b-%Y %H:%M:%S"), normalise_level(word), message, fields)


# -- nginx error log -----------------------------------------------------------------------------
_NGINX = re.compile(
    r"^(\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}) \[(\w+)\] (\d+)#(\d+): (?:\*(\d+) )?(.*)$"
)
_NGINX_FIELDS = re.compile(
    r", (client|server|request|upstream|host|referrer|subrequest): (\"(?:[^\"\\]|\\.)*\"|[^,]*)"
)


def _nginx(line: str) -> _Head | None:
    match = _NGINX.match(line)
    if match is None:
        return None
    stamp, word, pid, tid, cid, rest = match.groups()
    fields: dict[str, Any] = {"pid": int(pid), "tid": int(tid)}
    if cid:
        fields["connection"] = int(cid)
    message = rest
    first = _NGINX_FIELDS.search(rest)
    if first is not None:
        message = rest[: first.start()]
        for key, value in _NGINX_FIELDS.findall(rest[first.start() :]):
            fields[key] = value[1:-1] if value.startswith('"') and value.endswith('"') else value
    return _Head(_strptime(stamp, "%Y/%m/%d %H:%M:%S"), normalise_level(word), message, fields)


# -- Apache error log ----------------------------------------------------------------------------
_APACHE = re.compile(
    r"^\[(?:[A-Za-z]{3} )?([A-Za-z]{3} \d{1,2} \d{2}:\d{2}:\d{2})(\.\d+)? (\d{4})\] "
    r"\[(?:([\w\-]+):)?(\w+)\] (.*)$"
)
_APACHE_BRACKETS = re.compile(r"^\[(pid|client|remote) ([^\]]+)\] ")
_APACHE_PID = re.compile(r"^(\d+)(?::tid (\d+))?$")


def _apache(line: str) -> _Head | None:
    match = _APACHE.match(line)
    if match is None:
        return None
    stamp, micro, year, module, word, rest = match.groups()
    timestamp = _strptime(f"{stamp} {year}", "%b %d %H:%M:%S %Y")
    if timestamp is not None and micro:
        timestamp = timestamp.replace(microsecond=int(micro[1:7].ljust(6, "0")))
    fields: dict[str, Any] = {"module": module} if module else {}
    while True:
        bracket = _APACHE_BRACKETS.match(rest)
        if bracket is None:
            break
        key, value = bracket.group(1), bracket.group(2)
        pid = _APACHE_PID.match(value) if key == "pid" else None
        if pid is not None:
            fields["pid"] = int(pid.group(1))
            if pid.group(2):
                fields["tid"] = int(pid.group(2))
        else:
            fields[key] = value
        rest = rest[bracket.end() :]
    code = re.match(r"^(AH\d{5}): ", rest)
    if code:
        fields["code"] = code.group(1)
        rest = rest[code.end() :]
    return _Head(timestamp, normalise_level(word), rest, fields)


# -- access logs (common / combined, nginx and Apache) -------------------------------------------
_ACCESS = re.compile(
    r"^(\S+) (\S+) (\S+) \[([^\]]+)\] \"((?:[^\"\\]|\\.)*)\" (\d{3}) (\d+|-)"
    r"(?: \"((?:[^\"\\]|\\.)*)\" \"((?:[^\"\\]|\\.)*)\")?(.*)$"
)


def _access(line: str) -> _Head | None:
    match = _ACCESS.match(line)
    if match is None:
        return None
    remote, _ident, user, stamp, request, status, size, referer, agent, _tail = match.groups()
    fields: dict[str, Any] = {"remote": remote, "status": int(status)}
    if user != "-":
        fields["user"] = user
    fields["bytes"] = 0 if size == "-" else int(size)
    if referer not in (None, "-"):
        fields["referer"] = referer
    if agent not in (None, "-"):
        fields["agent"] = agent
    parts = request.split()
    if len(parts) == 3:
        fields["method"], fields["path"], fields["protocol"] = parts
        message = f"{parts[0]} {parts[1].split('?', 1)[0]} {parts[2]} {status}"
    else:
        message = f"{request} {status}"
    code = int(status)
    level: Level = "error" if code >= 500 else "warning" if code >= 400 else "info"
    return _Head(_strptime(stamp, "%d/%b/%Y:%H:%M:%S %z"), level, message, fields)


# -- JSON lines ----------------------------------------------------------------------------------
_MESSAGE_KEYS = ("message", "msg", "event", "text", "log")
_LEVEL_KEYS = ("level", "levelname", "severity", "log_level", "lvl", "loglevel")
_TIME_KEYS = ("timestamp", "time", "@timestamp", "ts", "datetime", "date", "asctime")


def _json_time(value: Any) -> dt.datetime | None:
    if isinstance(value, int | float) and not isinstance(value, bool):
        seconds = value / 1000 if value > 1e11 else value
        try:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, str):
        try:
            return _utc(dt.datetime.fromisoformat(value.replace("Z", "+00:00")))
        except ValueError:
            return None
    return None


def parse_timestamp(value: Any) -> dt.datetime | None:
    """Read a timestamp given as ISO-8601 text or epoch seconds/milliseconds, in UTC."""
    return _json_time(value)


def _json(line: str) -> _Head | None:
    if not line.startswith("{"):
        return None
    try:
        data = json.loads(line)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    message = next((data[k] for k in _MESSAGE_KEYS if isinstance(data.get(k), str)), None)
    level_value = next((data[k] for k in _LEVEL_KEYS if k in data), None)
    time_value = next((data[k] for k in _TIME_KEYS if k in data), None)
    level: Level | None = None
    if isinstance(level_value, str):
        level = normalise_level(level_value)
    elif isinstance(level_value, int) and not isinstance(level_value, bool):
        # Python logging numbers (10..50) or syslog severities (0..7)
        if level_value >= 10:
            level = normalise_level(
                {10: "debug", 20: "info", 30: "warning", 40: "error"}.get(
                    min(level_value // 10 * 10, 50), "critical"
                )
            )
        elif 0 <= level_value <= 7:
            level = _SYSLOG_SEVERITY[level_value]
    fields = {k: v for k, v in data.items() if k not in _MESSAGE_KEYS or v is not message}
    text = message if message is not None else json.dumps(data, sort_keys=True)
    return _Head(_json_time(time_value), level, text, fields)


# -- syslog (RFC 3164 and RFC 5424) --------------------------------------------------------------
_SYSLOG_5424 = re.compile(
    r"^<(\d{1,3})>1 (\S+) (\S+) (\S+) (\S+) (\S+) (-|\[.*?\](?:\[.*?\])*)(?: (.*))?$"
)
_SYSLOG_3164 = re.compile(
    r"^(?:<(\d{1,3})>)?([A-Z][a-z]{2} [ \d]\d \d{2}:\d{2}:\d{2}) (\S+) "
    r"([^\s:\[]+)(?:\[(\d+)\])?: ?(.*)$"
)
_SYSLOG_ISO = re.compile(
    r"^(?:<(\d{1,3})>)?(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:?\d{2})) "
    r"(\S+) ([^\s:\[]+)(?:\[(\d+)\])?: ?(.*)$"
)


def _syslog(line: str, *, now: Callable[[], dt.datetime] | None = None) -> _Head | None:
    match = _SYSLOG_5424.match(line)
    if match is not None:
        pri, stamp, host, app, procid, msgid, _sd, message = match.groups()
        fields: dict[str, Any] = {"host": host, "program": app}
        if procid != "-":
            fields["pid"] = procid
        if msgid != "-":
            fields["msgid"] = msgid
        return _Head(_json_time(stamp), _SYSLOG_SEVERITY[int(pri) % 8], message or "", fields)
    match = _SYSLOG_3164.match(line) or _SYSLOG_ISO.match(line)
    if match is None:
        return None
    pri, stamp, host, program, pid, message = match.groups()
    fields = {"host": host, "program": program}
    if pid:
        fields["pid"] = int(pid)
    if "T" in stamp:
        timestamp = _json_time(stamp)
    else:
        year = (now() if now else dt.datetime.now(dt.UTC)).year
        timestamp = _strptime(f"{year} {stamp}", "%Y %b %d %H:%M:%S")
    level = _SYSLOG_SEVERITY[int(pri) % 8] if pri else _guess_level(message)
    return _Head(timestamp, level, message, fields)


_GUESS = re.compile(
    r"(?i)\b(fatal|panic|critical|emerg(?:ency)?|error|failed|failure|warn(?:ing)?|notice|debug)\b"
)


def _guess_level(message: str) -> Level | None:
    match = _GUESS.search(message)
    if match is None:
        return None
    word = match.group(1).lower()
    if word in ("failed", "failure"):
        return "error"
    return normalise_level(word)


def _raw(line: str) -> _Head:
    return _Head(None, _guess_level(line), line, {})


@dataclass(frozen=True, slots=True)
class _Format:
    name: str
    head: Callable[[str], _Head | None]
    multiline: bool


_PARSERS: dict[str, _Format] = {
    "php_fpm": _Format("php_fpm", _fpm, True),
    "php": _Format("php", _php, True),
    "nginx_error": _Format("nginx_error", _nginx, True),
    "apache_error": _Format("apache_error", _apache, True),
    "access": _Format("access", _access, False),
    "json": _Format("json", _json, False),
    "syslog": _Format("syslog", lambda line: _syslog(line), False),
    "raw": _Format("raw", _raw, False),
}


_FOREIGN_ORDER = ("php", "php_fpm", "nginx_error", "apache_error", "syslog", "access", "json")


def detect_format(lines: Iterable[str], *, sample: int = 200) -> str:
    """Guess the format of a file from its first lines.

    Args:
        lines: the file's lines (only the first ``sample`` non-blank ones are read).
        sample: how many lines to look at.

    Returns:
        One of ``php``, ``php_fpm``, ``nginx_error``, ``apache_error``, ``access``, ``json``,
        ``syslog``, or ``raw`` when too few lines match (a tenth for the multi-line formats,
        a third for the others).

    Example:
        >>> detect_format(['2023/12/18 13:08:27 [error] 682#682: *57 access forbidden by rule'])
        'nginx_error'
    """
    scores: dict[str, int] = dict.fromkeys(_PARSERS, 0)
    seen = 0
    for line in lines:
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        seen += 1
        for name, fmt in _PARSERS.items():
            if name != "raw" and fmt.head(line) is not None:
                scores[name] += 1
        if seen >= sample:
            break
    best = max((n for n in scores if n != "raw"), key=lambda n: scores[n])
    # Multi-line formats have many lines that match nothing (stack traces, SQL), so a format
    # wins with a tenth of the lines; a single-line format needs a third.
    share = 10 if _PARSERS[best].multiline else 3
    return best if scores[best] and scores[best] * share >= seen else "raw"


class EntryAssembler:
    """Turns physical lines into entries, one line at a time (for followers and large files).

    Args:
        fmt: the format name (see :data:`FORMATS`).
        start_line: the number of the first line fed.

    Raises:
        ConfigurationError: an unknown format name.
    """

    def __init__(self, fmt: str, *, start_line: int = 1) -> None:
        if fmt not in _PARSERS:
            raise ConfigurationError(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
        self.format = _PARSERS[fmt]
        self._next_line = start_line
        self._pending: LogEntry | None = None
        self._lines: list[str] = []
        self._chars = 0

    @property
    def next_line(self) -> int:
        """Number of the next line to be fed."""
        return self._next_line

    @property
    def pending_lines(self) -> int:
        """Lines held back because the current entry may still continue."""
        return len(self._lines)

    def feed(self, line: str) -> list[LogEntry]:
        """Add one physical line; return the entries it completed (zero, one or two)."""
        line = line.rstrip("\r\n")
        number = self._next_line
        self._next_line += 1
        try:
            head = self.format.head(line)
        except Exception:
            head = None
        done: list[LogEntry] = []
        if self.format.multiline:
            foreign = None if head is not None else self._foreign(line)
            if foreign is not None:
                # A line of another format (a bare "PHP Fatal error:" in a web-server log,
                # syslog lines in a mixed file) starts an entry of its own, never a continuation.
                other_format, other_head = foreign
                done.extend(self.flush())
                if _PARSERS[other_format].multiline:
                    self._pending = self._entry(number, number, other_head, [line], other_format)
                    self._lines, self._chars = [line], len(line)
                else:
                    done.append(self._entry(number, number, other_head, [line], other_format))
                return done
            if head is None or head.continues:
                if self._pending is not None:
                    self._lines.append(line)
                    self._chars += len(line)
                    if len(self._lines) >= MAX_ENTRY_LINES or self._chars >= MAX_ENTRY_CHARS:
                        done.extend(self.flush())
                    return done
                if head is None:
                    head = _raw(line)
                    done.append(self._entry(number, number, head, [line], "raw"))
                    return done
            done.extend(self.flush())
            self._pending = self._entry(number, number, head, [line], self.format.name)
            self._lines = [line]
            self._chars = len(line)
            return done
        if head is None:
            done.append(self._entry(number, number, _raw(line), [line], "raw"))
        else:
            done.append(self._entry(number, number, head, [line], self.format.name))
        return done

    def _foreign(self, line: str) -> tuple[str, _Head] | None:
        if not line or line[0] in " \t#}" or line.startswith(("Stack trace", "Next ")):
            return None  # the usual shapes of continuation lines: skip the parsers
        for name in _FOREIGN_ORDER:
            if name == self.format.name:
                continue
            try:
                other = _PARSERS[name].head(line)
            except Exception:
                other = None
            if other is not None and not other.continues:
                return name, other
        return None

    def flush(self) -> list[LogEntry]:
        """Return the entry held back, if any (at end of input or after a quiet period)."""
        if self._pending is None:
            return []
        entry = self._pending
        entry.end_line = entry.line + len(self._lines) - 1
        entry.text = "\n".join(self._lines)
        if entry.format == "nginx_error" and len(self._lines) > 1 and "client" not in entry.fields:
            tail = _NGINX_FIELDS.search(entry.text)
            if tail is not None:
                for key, value in _NGINX_FIELDS.findall(entry.text[tail.start() :]):
                    entry.fields[key] = value[1:-1] if value[:1] == '"' == value[-1:] else value
        self._pending, self._lines, self._chars = None, [], 0
        return [entry]

    @staticmethod
    def _entry(first: int, last: int, head: _Head, lines: list[str], fmt: str) -> LogEntry:
        return LogEntry(
            line=first,
            end_line=last,
            format=fmt,
            timestamp=head.timestamp,
            level=head.level,
            message=head.message,
            text="\n".join(lines),
            fields=head.fields,
        )


def parse_lines(
    lines: Iterable[str], fmt: str | None = None, *, start_line: int = 1
) -> Iterator[LogEntry]:
    """Parse lines into entries, folding continuation lines into their entry.

    Args:
        lines: physical lines (with or without their line ends).
        fmt: the format, or ``None`` to detect it from the first lines.
        start_line: number of the first line.

    Yields:
        Entries in order; together they cover every line exactly once.

    Example:
        >>> entries = list(parse_lines([
        ...     "[23-Feb-2021 10:50:47 UTC] PHP Fatal error:  Uncaught Error: boom in /a.php:3",
        ...     "Stack trace:",
        ...     "#0 {main}",
        ...     "  thrown in /a.php on line 3",
        ... ]))
        >>> len(entries), entries[0].level, entries[0].end_line
        (1, 'critical', 4)
    """
    if fmt is None:
        iterator = iter(lines)
        buffered = list(_take(iterator, 200))
        fmt = detect_format(buffered)
        lines = _chain(buffered, iterator)
    assembler = EntryAssembler(fmt, start_line=start_line)
    for line in lines:
        yield from assembler.feed(line)
    yield from assembler.flush()


def parse_line(line: str, fmt: str | None = None) -> LogEntry:
    """Parse a single line on its own (format detected from it when not given)."""
    fmt = fmt or detect_format([line])
    entries = list(parse_lines([line], fmt))
    return entries[0]


def _take(iterator: Iterator[str], n: int) -> Iterator[str]:
    for _ in range(n):
        try:
            yield next(iterator)
        except StopIteration:
            return


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest
