"""Anomaly detection over parsed entries: new templates, rate spikes and error bursts.

Counts are kept in fixed windows (``window`` seconds, taken from each entry's own timestamp, or
the clock when it has none) per ``(source, template)``, per source overall, and for error-level
entries per source.  A baseline per key is an exponentially weighted mean of the counts of past
windows (empty windows included).  Within the current window an anomaly is emitted once, as soon
as the count crosses ``max(min_count, spike_factor * baseline, baseline + 4 * sqrt(baseline))``.
New templates are reported once a source is past its warm-up (``warmup_lines`` entries and
``warmup_windows`` windows), so that the first lines of a file are not all "new".
"""

from __future__ import annotations

import datetime as dt
import math
import threading
import time
from collections import Counter, deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from pydantic import BaseModel, Field

from logkit._exceptions import ConfigurationError, StateError
from logkit._parsers import (
    ERROR_LEVELS,
    EntryAssembler,
    LogEntry,
    detect_format,
    normalise_level,
    parse_timestamp,
)
from logkit._redact import redact
from logkit._templates import TemplateMiner, read_json, write_json_atomic

if TYPE_CHECKING:
    import os
    from collections.abc import Callable, Iterable

AnomalyKind = Literal["new_template", "rate_spike", "error_burst"]
ALL_TEMPLATES = "*"
_MAX_SAMPLE_CHARS = 2000


def _iso(ts: float) -> str:
    return dt.datetime.fromtimestamp(ts, tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


class Anomaly(BaseModel):
    """Something new or abnormal in a source's logs.

    Attributes:
        kind: ``new_template``, ``rate_spike`` or ``error_burst``.
        source: where the lines came from (``wordpress``, a file name…).
        template_id: the template concerned (``*`` for a source-wide spike).
        template: its text, variables as ``<*>``.
        count: occurrences in the current window (1 for a new template).
        baseline: the expected count per window learned so far.
        window_seconds: the window length.
        samples: a few of the lines concerned, secrets redacted.
        level: the most severe level seen among them, when known.
        timestamp: when it was detected (UTC; the entry's own time when it has one).
    """

    kind: AnomalyKind
    source: str
    template_id: str
    template: str
    count: int
    baseline: float
    window_seconds: float
    samples: list[str] = Field(default_factory=list)
    level: str | None = None
    timestamp: dt.datetime

    def to_event(self) -> dict[str, Any]:
        """The ``anomaly`` event of the shared stream (CONTRACTS.md)."""
        return {
            "type": "anomaly",
            "kind": self.kind,
            "source": self.source,
            "template_id": self.template_id,
            "template": self.template,
            "count": self.count,
            "baseline": round(self.baseline, 4),
            "samples": list(self.samples),
            "timestamp": self.timestamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class AnalyzedEntry(BaseModel):
    """One parsed entry with the template it was matched to."""

    source: str
    entry: LogEntry
    template_id: str
    template: str

    def to_event(self) -> dict[str, Any]:
        """The ``log`` event of the shared stream (CONTRACTS.md); the message is redacted."""
        stamp = self.entry.timestamp or dt.datetime.now(dt.UTC)
        return {
            "type": "log",
            "source": self.source,
            "level": self.entry.level or "info",
            "message": redact(self.entry.message),
            "template_id": self.template_id,
            "template": self.template,
            "timestamp": stamp.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        }


class FeedResult(BaseModel):
    """What :meth:`Analyzer.process` made of a batch: every entry, and the anomalies."""

    entries: list[AnalyzedEntry]
    anomalies: list[Anomaly]


class TemplateStat(BaseModel):
    """What was seen of one template."""

    template_id: str
    template: str
    count: int
    sources: dict[str, int]
    levels: dict[str, int]
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    samples: list[str]


class AnalysisReport(BaseModel):
    """Summary of everything fed to an :class:`Analyzer`."""

    generated_at: dt.datetime
    lines: int
    entries: int
    sources: dict[str, int]
    formats: dict[str, int]
    levels: dict[str, int]
    templates: int
    top_templates: list[TemplateStat]
    new_templates: list[TemplateStat]
    anomalies: list[Anomaly]


@dataclass(slots=True)
class _Rate:
    bucket: int = -1
    count: int = 0
    baseline: float = 0.0
    windows: int = 0
    fired: bool = False
    samples: list[str] = field(default_factory=list)
    worst: str | None = None
    top: Counter[str] = field(default_factory=Counter)

    def to_json(self) -> list[Any]:
        return [self.bucket, self.count, self.baseline, self.windows, self.fired]

    @classmethod
    def from_json(cls, raw: list[Any]) -> _Rate:
        return cls(int(raw[0]), int(raw[1]), float(raw[2]), int(raw[3]), bool(raw[4]))


@dataclass(slots=True)
class _Info:
    count: int = 0
    first: float | None = None
    last: float | None = None
    sources: Counter[str] = field(default_factory=Counter)
    levels: Counter[str] = field(default_factory=Counter)
    samples: list[str] = field(default_factory=list)
    new: bool = False


_SEVERITY = {"debug": 0, "info": 1, "notice": 2, "warning": 3, "error": 4, "critical": 5}


def _worse(a: str | None, b: str | None) -> str | None:
    if a is None:
        return b
    if b is None:
        return a
    return a if _SEVERITY.get(a, 0) >= _SEVERITY.get(b, 0) else b


class Analyzer:
    """Learns templates and baselines from log lines and reports anomalies.

    Thread-safe.  One instance can serve many sources.

    Args:
        miner: the template miner (a new one by default).
        window: window length in seconds.
        alpha: weight of the latest window in the baseline (exponential mean).
        spike_factor: how many times the baseline a window must reach to be a spike.
        min_count: fewest occurrences in a window that can be a spike.
        error_min_count: fewest error entries in a window that can be an error burst.
        warmup_lines: entries of a source before its new templates are reported.
        warmup_windows: windows of a source before spikes and new templates are reported.
        max_samples: sample lines kept per anomaly and per template.
        history: anomalies kept for :meth:`report`.
        clock: time source for entries without a timestamp.

    Example:
        >>> analyzer = Analyzer(warmup_lines=0, warmup_windows=0)
        >>> line = "PHP Warning:  Undefined variable $x in /a.php on line 3"
        >>> [a.kind for a in analyzer.feed([line], source="wordpress")]
        ['new_template']
    """

    def __init__(
        self,
        *,
        miner: TemplateMiner | None = None,
        window: float = 60.0,
        alpha: float = 0.1,
        spike_factor: float = 3.0,
        min_count: int = 10,
        error_min_count: int = 5,
        warmup_lines: int = 200,
        warmup_windows: int = 3,
        max_samples: int = 5,
        history: int = 1000,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if window <= 0 or not 0 < alpha <= 1 or spike_factor <= 1:
            raise ConfigurationError("need window > 0, 0 < alpha <= 1 and spike_factor > 1")
        self.miner = miner or TemplateMiner()
        self.window = window
        self.alpha = alpha
        self.spike_factor = spike_factor
        self.min_count = min_count
        self.error_min_count = error_min_count
        self.warmup_lines = warmup_lines
        self.warmup_windows = warmup_windows
        self.max_samples = max_samples
        self._clock = clock
        self._lock = threading.RLock()
        self._rates: dict[tuple[str, str], _Rate] = {}
        self._errors: dict[str, _Rate] = {}
        self._info: dict[str, _Info] = {}
        self._source_lines: Counter[str] = Counter()
        self._source_first_bucket: dict[str, int] = {}
        self._formats: dict[str, str] = {}
        self._assemblers: dict[str, EntryAssembler] = {}
        self._format_counts: Counter[str] = Counter()
        self._levels: Counter[str] = Counter()
        self._lines = 0
        self._entries = 0
        self._anomalies: deque[Anomaly] = deque(maxlen=history)

    # -- feeding -------------------------------------------------------------------------
    def feed(
        self,
        lines: Iterable[str] | str,
        *,
        source: str = "default",
        fmt: str | None = None,
        flush: bool = True,
    ) -> list[Anomaly]:
        """Parse lines of one source and return the anomalies they caused.

        The same as ``process(...).anomalies``; see :meth:`process` for the arguments.
        """
        return self.process(lines, source=source, fmt=fmt, flush=flush).anomalies

    def process(
        self,
        lines: Iterable[str] | str,
        *,
        source: str = "default",
        fmt: str | None = None,
        flush: bool = True,
    ) -> FeedResult:
        """Parse lines of one source; return each entry with its template, and the anomalies.

        Args:
            lines: raw lines (a string is split on newlines).
            source: the source name, e.g. ``wordpress`` or a file name.
            fmt: the format; detected from the lines (and remembered per source) when ``None``.
            flush: end of input for now: the last entry is complete.  Pass ``False`` when
                feeding a file in chunks, so that an entry (a stack trace) split between two
                chunks stays whole; the held-back lines are analysed by the next call.
        """
        batch = lines.splitlines() if isinstance(lines, str) else list(lines)
        done: list[AnalyzedEntry] = []
        with self._lock:
            assembler = self._assemblers.get(source)
            if assembler is None:
                if not batch:
                    return FeedResult(entries=[], anomalies=[])
                chosen = fmt or self._formats.get(source)
                if chosen is None:
                    chosen = detect_format(batch)
                    if chosen != "raw" or len(batch) >= 20:
                        self._formats[source] = chosen
                assembler = EntryAssembler(chosen)
            self._lines += len(batch)
            out: list[Anomaly] = []
            for line in batch:
                for entry in assembler.feed(line):
                    out.extend(self._entry(entry, source, done))
            if flush:
                self._assemblers.pop(source, None)
                for entry in assembler.flush():
                    out.extend(self._entry(entry, source, done))
            else:
                self._assemblers[source] = assembler
            return FeedResult(entries=done, anomalies=out)

    def process_records(
        self, records: Iterable[Mapping[str, Any]], *, source: str = "default"
    ) -> FeedResult:
        """Analyse structured events, e.g. the ``events`` of the bridge's ``POST /v1/logs``.

        Each record has ``message`` (or ``event``/``msg``), and optionally ``level``,
        ``timestamp`` (ISO-8601 or epoch seconds) and ``context`` (kept as fields).
        """
        done: list[AnalyzedEntry] = []
        out: list[Anomaly] = []
        with self._lock:
            for number, record in enumerate(records, start=1):
                message = next(
                    (str(record[k]) for k in ("message", "event", "msg") if record.get(k)), ""
                )
                level = record.get("level")
                context = record.get("context")
                entry = LogEntry(
                    line=number,
                    end_line=number,
                    format="event",
                    timestamp=parse_timestamp(record.get("timestamp")),
                    level=normalise_level(level) if isinstance(level, str) else None,
                    message=message,
                    text=message,
                    fields=dict(context) if isinstance(context, Mapping) else {},
                )
                self._lines += 1
                out.extend(self._entry(entry, source, done))
        return FeedResult(entries=done, anomalies=out)

    def feed_entries(
        self, entries: Iterable[LogEntry], *, source: str = "default"
    ) -> list[Anomaly]:
        """Like :meth:`feed`, for entries already parsed."""
        out: list[Anomaly] = []
        with self._lock:
            for entry in entries:
                self._lines += entry.end_line - entry.line + 1
                out.extend(self._entry(entry, source))
        return out

    def _entry(
        self, entry: LogEntry, source: str, done: list[AnalyzedEntry] | None = None
    ) -> list[Anomaly]:
        ts = entry.timestamp.timestamp() if entry.timestamp is not None else self._clock()
        bucket = int(ts // self.window)
        self._entries += 1
        self._format_counts[entry.format] += 1
        if entry.level:
            self._levels[entry.level] += 1
        self._source_lines[source] += 1
        first_bucket = self._source_first_bucket.setdefault(source, bucket)
        warm = (
            self._source_lines[source] > self.warmup_lines
            and bucket - first_bucket >= self.warmup_windows
        )
        match = self.miner.add(entry.message)
        tid = match.template_id
        if done is not None:
            done.append(
                AnalyzedEntry(source=source, entry=entry, template_id=tid, template=match.template)
            )
        sample = redact(entry.text[:_MAX_SAMPLE_CHARS])
        info = self._info.get(tid)
        if info is None:
            info = self._info[tid] = _Info(first=ts, new=warm)
        info.count += 1
        info.last = ts if info.last is None else max(info.last, ts)
        info.sources[source] += 1
        if entry.level:
            info.levels[entry.level] += 1
        if len(info.samples) < self.max_samples:
            info.samples.append(sample)
        if match.changed:
            self._fold_merged()
        out: list[Anomaly] = []
        when = dt.datetime.fromtimestamp(ts, tz=dt.UTC)
        if match.is_new and warm:
            out.append(
                Anomaly(
                    kind="new_template",
                    source=source,
                    template_id=tid,
                    template=match.template,
                    count=1,
                    baseline=0.0,
                    window_seconds=self.window,
                    samples=[sample],
                    level=entry.level,
                    timestamp=when,
                )
            )
        for key, template in (((source, tid), match.template), ((source, ALL_TEMPLATES), "*")):
            rate = self._rates.setdefault(key, _Rate())
            fired = self._count(rate, bucket, sample, entry.level, warm)
            if fired:
                out.append(self._spike("rate_spike", source, key[1], template, rate, when))
        if entry.level in ERROR_LEVELS:
            rate = self._errors.setdefault(source, _Rate())
            rate_fired = self._count(rate, bucket, sample, entry.level, warm, error=True)
            rate.top[tid] += 1
            if rate_fired:
                top_id = rate.top.most_common(1)[0][0]
                top = self.miner.template(top_id)
                out.append(
                    self._spike(
                        "error_burst", source, top_id, top.template if top else "", rate, when
                    )
                )
        self._anomalies.extend(out)
        return out

    def _count(
        self,
        rate: _Rate,
        bucket: int,
        sample: str,
        level: str | None,
        warm: bool,
        *,
        error: bool = False,
    ) -> bool:
        if bucket > rate.bucket:
            if rate.bucket >= 0:
                gap = bucket - rate.bucket
                rate.baseline = rate.baseline * (1 - self.alpha) + self.alpha * rate.count
                rate.baseline *= (1 - self.alpha) ** (gap - 1)
                rate.windows += gap
            rate.bucket, rate.count, rate.fired = bucket, 0, False
            rate.samples, rate.worst, rate.top = [], None, Counter()
        elif bucket < rate.bucket:
            return False  # late line of an already closed window: counted in totals only
        rate.count += 1
        rate.worst = _worse(rate.worst, level)
        if len(rate.samples) < self.max_samples:
            rate.samples.append(sample)
        # Error bursts need only a warm source (no errors before is a fine baseline);
        # rate spikes need a learned baseline of their own.
        if rate.fired or not warm or (not error and rate.windows < max(self.warmup_windows, 1)):
            return False
        floor = self.error_min_count if error else self.min_count
        base = rate.baseline
        threshold = max(floor, self.spike_factor * base, base + 4 * math.sqrt(base))
        if rate.count >= threshold:
            rate.fired = True
            return True
        return False

    def _spike(
        self,
        kind: AnomalyKind,
        source: str,
        tid: str,
        template: str,
        rate: _Rate,
        when: dt.datetime,
    ) -> Anomaly:
        return Anomaly(
            kind=kind,
            source=source,
            template_id=tid,
            template=template,
            count=rate.count,
            baseline=rate.baseline,
            window_seconds=self.window,
            samples=list(rate.samples),
            level=rate.worst,
            timestamp=when,
        )

    def _fold_merged(self) -> None:
        # Templates merged by the miner: move their statistics to the surviving id.
        for tid in [t for t in self._info if self.miner.resolve(t) != t]:
            target = self.miner.resolve(tid)
            old = self._info.pop(tid)
            info = self._info.setdefault(target, _Info(first=old.first, new=old.new))
            info.count += old.count
            info.sources.update(old.sources)
            info.levels.update(old.levels)
            info.first = min((x for x in (info.first, old.first) if x is not None), default=None)
            info.last = max((x for x in (info.last, old.last) if x is not None), default=None)
            info.samples = (info.samples + old.samples)[: self.max_samples]
            info.new = info.new and old.new

    # -- reporting -----------------------------------------------------------------------
    def template_stats(self) -> list[TemplateStat]:
        """Statistics of every template, most frequent first."""
        with self._lock:
            self._fold_merged()
            stats = []
            for tid, info in self._info.items():
                template = self.miner.template(tid)
                stats.append(
                    TemplateStat(
                        template_id=tid,
                        template=template.template if template else "",
                        count=info.count,
                        sources=dict(info.sources),
                        levels=dict(info.levels),
                        first_seen=_dt(info.first),
                        last_seen=_dt(info.last),
                        samples=list(info.samples),
                    )
                )
            stats.sort(key=lambda s: (-s.count, s.template_id))
            return stats

    def report(self, *, top: int = 20) -> AnalysisReport:
        """Top templates, templates new since the warm-up, and the anomalies found."""
        with self._lock:
            stats = self.template_stats()
            new_ids = {tid for tid, info in self._info.items() if info.new}
            return AnalysisReport(
                generated_at=dt.datetime.fromtimestamp(self._clock(), tz=dt.UTC),
                lines=self._lines,
                entries=self._entries,
                sources=dict(self._source_lines),
                formats=dict(self._format_counts),
                levels=dict(self._levels),
                templates=len(stats),
                top_templates=stats[:top],
                new_templates=[s for s in stats if s.template_id in new_ids],
                anomalies=list(self._anomalies),
            )

    # -- persistence ---------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """Everything learned, as JSON-compatible data."""
        with self._lock:
            self._fold_merged()
            return {
                "version": 1,
                "miner": self.miner.to_state(),
                "rates": [[s, t, r.to_json()] for (s, t), r in self._rates.items()],
                "errors": {s: r.to_json() for s, r in self._errors.items()},
                "info": {
                    tid: {
                        "count": i.count,
                        "first": i.first,
                        "last": i.last,
                        "sources": dict(i.sources),
                        "levels": dict(i.levels),
                        "samples": i.samples,
                    }
                    for tid, i in self._info.items()
                },
                "source_lines": dict(self._source_lines),
                "source_first_bucket": self._source_first_bucket,
                "formats": self._formats,
            }

    def load_state(self, state: dict[str, Any]) -> None:
        """Replace what was learned by a state from :meth:`to_state`.

        Raises:
            StateError: the state is invalid or of another version.
        """
        try:
            if state.get("version") != 1:
                raise StateError("unsupported analyzer state version")
            with self._lock:
                self.miner = TemplateMiner.from_state(state["miner"])
                self._rates = {(s, t): _Rate.from_json(r) for s, t, r in state["rates"]}
                self._errors = {s: _Rate.from_json(r) for s, r in state["errors"].items()}
                self._info = {
                    tid: _Info(
                        count=int(i["count"]),
                        first=i["first"],
                        last=i["last"],
                        sources=Counter({str(k): int(v) for k, v in i["sources"].items()}),
                        levels=Counter({str(k): int(v) for k, v in i["levels"].items()}),
                        samples=[str(x) for x in i["samples"]],
                    )
                    for tid, i in state["info"].items()
                }
                self._source_lines = Counter(
                    {str(k): int(v) for k, v in state["source_lines"].items()}
                )
                self._source_first_bucket = {
                    str(k): int(v) for k, v in state["source_first_bucket"].items()
                }
                self._formats = {str(k): str(v) for k, v in state["formats"].items()}
        except StateError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError) as exc:
            raise StateError(f"invalid analyzer state: {exc}") from exc

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the learned state as JSON (atomically)."""
        write_json_atomic(Path(path), self.to_state())

    @classmethod
    def load(cls, path: str | os.PathLike[str], **options: Any) -> Analyzer:
        """An analyzer with the state saved at ``path`` (options as for the constructor).

        Raises:
            StateError: the file is unreadable or not an analyzer state.
        """
        analyzer = cls(**options)
        analyzer.load_state(read_json(Path(path)))
        return analyzer


def _dt(ts: float | None) -> dt.datetime | None:
    return None if ts is None else dt.datetime.fromtimestamp(ts, tz=dt.UTC)
