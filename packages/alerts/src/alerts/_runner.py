"""Feed the engine from the shared event stream, checkpointing state and cursor."""

from __future__ import annotations

import json
import logging
import time
from typing import TYPE_CHECKING

from alerts._background import Background
from alerts._engine import Engine
from alerts._events import EVENTS_STREAM, parse_event
from statestore import StateStoreError

if TYPE_CHECKING:
    import threading
    from collections.abc import Callable, Iterable

    from alerts._outbox import Outbox
    from alerts._repository import RuleRepository
    from alerts._rules import Rule
    from statestore import StateStore

log = logging.getLogger(__name__)


def _rules_marker(payload: bytes) -> int | None:
    """The version of a rules-change marker, or None for any other event (cheap pre-check)."""
    if b'"rules"' not in payload:
        return None
    try:
        data = json.loads(payload)
    except ValueError:
        return None
    if not isinstance(data, dict) or data.get("type") != "rules":
        return None
    version = data.get("version")
    return version if isinstance(version, int) and not isinstance(version, bool) else None


class StreamRunner(Background):
    """Read ``switchyard:events`` and run every event through the engine.

    The engine should have an outbox: notifications are durable before the cursor moves. The
    cursor and the engine's memory are checkpointed at most every ``checkpoint_every`` seconds;
    after a crash the events since the last checkpoint are replayed, and the outbox's
    de-duplication drops the notifications already accepted.

    Args:
        engine: the engine (its store keeps the checkpoint).
        store: the store holding the stream.
        stream: the stream name.
        from_start: with no saved cursor, read the retained stream from its oldest entry
            (default: only events published from now on).
        batch: events per read; block: seconds a read waits for new events.
        checkpoint_every: the most seconds between checkpoints while events flow.
        reload: called every ``reload_every`` seconds (a timer; prefer ``on_rules``).
        on_rules: called with the version of each ``{"type":"rules","version":N}`` marker
            :class:`RuleRepository` publishes, exactly at its position in the stream, so every
            engine switches rules between the same two events (``alerts run --store-rules``).
            Without it, markers are skipped.
    """

    _thread_name = "alerts-engine"

    def __init__(
        self,
        engine: Engine,
        store: StateStore,
        *,
        stream: str = EVENTS_STREAM,
        from_start: bool = False,
        batch: int = 200,
        block: float = 0.5,
        checkpoint_every: float = 1.0,
        reload: Callable[[], None] | None = None,
        reload_every: float = 2.0,
        on_rules: Callable[[int], None] | None = None,
    ) -> None:
        self.engine = engine
        self.store = store
        self.stream = stream
        self.batch, self.block = batch, block
        self.checkpoint_every = checkpoint_every
        if engine.cursor is None and not from_start:
            engine.cursor = store.last_id(stream)
        self._last_checkpoint = 0.0
        self._reload, self._reload_every = reload, reload_every
        self._on_rules = on_rules
        self._last_reload = time.monotonic()
        self._init_background()
        self.processed = 0
        self.rejected = 0

    def run_once(self) -> int:
        """Read one batch, process it, poll timers, checkpoint when due.

        Returns:
            How many events were read.
        """
        entries = self.store.read(
            self.stream, self.engine.cursor, count=self.batch, block=self.block
        )
        for entry_id, payload in entries:
            version = _rules_marker(payload)
            if version is not None:
                if self._on_rules is not None:
                    self._on_rules(version)
                    # A rule added while its condition already holds fires here, at the
                    # marker, not at whichever event or poll comes next for this engine
                    # (which differs between engines reading in different batches).
                    self.engine.poll()
                self.engine.cursor = entry_id
                continue
            try:
                event = parse_event(payload, entry_id)
            except ValueError as exc:
                self.rejected += 1
                log.warning("bad event skipped", extra={"event_id": entry_id, "error": str(exc)})
            else:
                try:
                    self.engine.process(event)
                except StateStoreError:
                    raise  # the store is down: retry this event later, never skip it
                except Exception:
                    # One event that trips the engine must not stall the stream: re-reading it
                    # forever would hold up every event behind it.
                    self.rejected += 1
                    log.exception(
                        "event failed in the engine; skipped", extra={"event_id": entry_id}
                    )
                else:
                    self.processed += 1
            self.engine.cursor = entry_id
        self.engine.poll()
        now = time.monotonic()
        if self._reload is not None and now - self._last_reload >= self._reload_every:
            self._last_reload = now
            self._reload()
        if entries and now - self._last_checkpoint >= self.checkpoint_every:
            self.engine.checkpoint()
            self._last_checkpoint = now
        return len(entries)

    def run(self, stop: threading.Event | None = None) -> None:
        """Process events until ``stop`` (or :meth:`stop`) is set; checkpoint on the way out."""
        stop = stop or self._stop
        try:
            while not stop.is_set():
                try:
                    self.run_once()
                except Exception:
                    log.warning("event loop error", exc_info=True)
                    stop.wait(1.0)
        finally:
            self.engine.checkpoint()


def engine_on_store_rules(
    store: StateStore,
    repository: RuleRepository,
    fixed: Iterable[Rule] = (),
    *,
    name: str = "default",
    outbox: Outbox | None = None,
    stream: str = EVENTS_STREAM,
    from_start: bool = False,
) -> tuple[Engine, Callable[[int], None]]:
    """Build an engine on the store's rules plus ``fixed`` ones, and its marker handler.

    The engine starts on the rules version its checkpoint was taken with (so a restarted
    engine replays the events after its cursor with the rules it had), or on the current
    version; pass the handler as ``StreamRunner(on_rules=...)``. ``fixed`` rules (the rules
    file) win over stored ones with the same id.

    Returns:
        ``(engine, on_rules)``.
    """
    fixed = list(fixed)

    def merge(stored: list[Rule]) -> list[Rule]:
        merged = {r.id: r for r in stored}
        merged.update((r.id, r) for r in fixed)
        return list(merged.values())

    # The cursor is read before the version, so a change made in between is either in that
    # version or after the cursor (applied at its marker), never missed.
    tail = store.last_id(stream)
    saved = Engine.saved_rules_version(store, name)
    version, stored = repository.current() if saved is None else repository.at_version(saved)
    engine = Engine(merge(stored), store, name=name, outbox=outbox)
    engine.rules_version = version
    if engine.cursor is None and not from_start:
        engine.cursor = tail

    held = {r.id: r for r in stored}  # the store's rules at engine.rules_version

    def on_rules(version: int) -> None:
        nonlocal held
        if engine.rules_version is not None and version <= engine.rules_version:
            return  # already applied (a replay after a restart)
        change = repository.change(version) if engine.rules_version == version - 1 else None
        if change is None:  # a gap (or the record expired): rebuild that version whole
            applied, rules = repository.at_version(version)
            held = {r.id: r for r in rules}
        else:  # the usual case: one small record, whatever the rule count
            applied = version
            for rid, rule in change.items():
                if rule is None:
                    held.pop(rid, None)
                else:
                    held[rid] = rule
        engine.set_rules(merge(list(held.values())))
        engine.rules_version = max(version, applied)
        log.info("rules switched", extra={"rules_version": version, "rules": len(engine.rules)})

    return engine, on_rules
