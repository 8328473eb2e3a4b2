"""The log pipeline: batches posted to ``/v1/logs`` → durable queue → logkit analyser → events.

``POST /v1/logs`` only enqueues the batch in the shared store (durable, so a crash loses
nothing) and answers 202. One worker at a time — whichever holds the ``bridge:logs:analyser``
lock — claims batches, parses them (PHP error log, WordPress ``debug.log``, JSON lines...), feeds
the analyser, publishes ``log`` and ``anomaly`` events to ``switchyard:events`` and saves the
analyser's state and report in the store, so every worker answers ``/v1/logs/analysis`` alike
and the next lock holder carries on where the last one stopped.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
import uuid
from typing import TYPE_CHECKING, Any

import logkit
from statestore import LockTimeoutError

if TYPE_CHECKING:
    from statestore import StateStore

logger = logging.getLogger(__name__)

QUEUE = "bridge:logs"
LOCK = "bridge:logs:analyser"
STATE_KEY = "bridge:logs:state"
REPORT_KEY = "bridge:logs:report"
EVENTS_STREAM = "switchyard:events"
_LEVELS = ["debug", "info", "notice", "warning", "error", "critical"]


def _utc_text(value: dt.datetime | None) -> str:
    stamp = value.astimezone(dt.UTC) if value is not None else dt.datetime.now(dt.UTC)
    return stamp.strftime("%Y-%m-%dT%H:%M:%SZ")


def enqueue_batch(store: StateStore, batch: dict[str, Any]) -> str:
    """Queue one posted batch durably.

    Args:
        store: the shared store.
        batch: ``{"source", "lines", "events", "request_id"}``.

    Returns:
        The batch id.
    """
    batch_id = uuid.uuid4().hex
    store.enqueue(QUEUE, batch_id, json.dumps(batch, default=str).encode())
    return batch_id


def _structured_entry(event: dict[str, Any], index: int) -> logkit.LogEntry:
    level = logkit.normalise_level(str(event.get("level") or "")) or "info"
    message = str(event.get("message") or "")
    stamp = event.get("timestamp")
    when: dt.datetime | None = None
    if isinstance(stamp, str) and stamp:
        try:
            when = dt.datetime.fromisoformat(stamp.replace("Z", "+00:00"))
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.UTC)
        except ValueError:
            when = None
    context = event.get("context") if isinstance(event.get("context"), dict) else {}
    return logkit.LogEntry(
        line=index,
        end_line=index,
        format="event",
        timestamp=when,
        level=level,
        message=message,
        text=message,
        fields=dict(context or {}),
    )


class LogPipeline:
    """Turns queued batches into analysis and events (one instance per worker).

    Args:
        store: the shared store.
        min_event_level: entries below this level are analysed but not published as ``log``
            events (keeps the shared stream for what alert rules care about).
    """

    def __init__(self, store: StateStore, *, min_event_level: str = "info") -> None:
        self.store = store
        self.min_event_rank = _LEVELS.index(min_event_level) if min_event_level in _LEVELS else 1
        self.analyzer = logkit.Analyzer()
        self._state_version: str | None = None

    def _load_shared_state(self) -> None:
        raw = self.store.get(STATE_KEY)
        if raw is None:
            return
        data = json.loads(raw)
        if data.get("version") == self._state_version:
            return
        self.analyzer.load_state(data["analyzer"])
        self._state_version = data.get("version")

    def _save_shared_state(self) -> None:
        version = uuid.uuid4().hex
        state = {
            "version": version,
            "analyzer": self.analyzer.to_state(),
        }
        self.store.set(STATE_KEY, json.dumps(state, default=str).encode())
        self.store.set(REPORT_KEY, self.analyzer.report().model_dump_json().encode())
        self._state_version = version

    def run_once(self, *, max_batches: int = 50) -> int:
        """Process queued batches if this worker gets the analyser lock.

        Returns:
            How many batches were processed (0 when another worker holds the lock).
        """
        if not self.store.pending(QUEUE):
            return 0  # a read, not the lock's write, while there is nothing to do
        try:
            lock = self.store.lock(LOCK, ttl=60, blocking_timeout=0)
            lock.acquire()
        except LockTimeoutError:
            return 0
        try:
            items = self.store.claim(QUEUE, lease=60, count=max_batches)
            if not items:
                return 0
            self._load_shared_state()
            events: list[dict[str, Any]] = []
            for item in items:
                try:
                    batch = json.loads(item.payload)
                    # What this batch causes is logged under the request that posted it.
                    with logkit.request_context(batch.get("request_id")):
                        events.extend(self._process(batch))
                except Exception:  # one bad batch must not stop the pipeline
                    logger.warning("log batch dropped", exc_info=True, extra={"batch": item.id})
            self._save_shared_state()
            for event in events:
                self.store.publish(EVENTS_STREAM, json.dumps(event, default=str).encode())
            for item in items:
                self.store.ack(QUEUE, item.id)
            return len(items)
        finally:
            lock.release()

    def _process(self, batch: dict[str, Any]) -> list[dict[str, Any]]:
        source = str(batch.get("source") or "wordpress")
        entries = list(logkit.parse_lines(batch.get("lines") or []))
        entries += [
            _structured_entry(event, index)
            for index, event in enumerate(batch.get("events") or [], start=1)
            if isinstance(event, dict)
        ]
        anomalies = self.analyzer.feed_entries(entries, source=source)
        out: list[dict[str, Any]] = []
        for entry in entries:
            rank = _LEVELS.index(entry.level) if entry.level in _LEVELS else 1
            if rank < self.min_event_rank:
                continue
            match = self.analyzer.miner.match(entry.message)
            out.append(
                {
                    "type": "log",
                    "source": source,
                    "level": entry.level or "info",
                    "message": logkit.redact(entry.message),
                    "template_id": match.template_id if match else "",
                    "template": match.template if match else "",
                    "timestamp": _utc_text(entry.timestamp),
                }
            )
        out.extend(anomaly.to_event() for anomaly in anomalies)
        return out

    def report(self) -> dict[str, Any]:
        """The latest saved analysis report (an empty one before the first batch)."""
        raw = self.store.get(REPORT_KEY)
        if raw is None:
            data: dict[str, Any] = logkit.Analyzer().report().model_dump(mode="json")
            return data
        loaded: dict[str, Any] = json.loads(raw)
        return loaded
