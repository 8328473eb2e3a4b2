"""Checkpoints of the engine's memory in the state store, so rule state survives restarts.

Rule states are saved one key per rule, only when they changed; the rest of the memory (cursor,
last prices, volume baselines, log windows, seen templates, health) in one key written last.
"""

from __future__ import annotations

import heapq
import json
import logging
from collections import deque
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from alerts._notification import RuleState

if TYPE_CHECKING:
    import threading

    from alerts._index import SymbolBook
    from alerts._notification import Notification
    from statestore import StateStore

log = logging.getLogger(__name__)

#: Points kept per side of a saved move window (the oldest and the newest half).
WINDOW_POINTS = 1024


def _save_points(points: deque[tuple[float, Decimal]]) -> list[list[Any]]:
    """Bound a monotonic window deque for saving: its head (the extreme now) and its tail.

    Dropping middle points can only make the restored extreme less extreme later on, so a
    restored ``move`` rule may under-report a move, never invent one.
    """
    seq = list(points)
    if len(seq) > WINDOW_POINTS:
        half = WINDOW_POINTS // 2
        seq = seq[:half] + seq[-half:]
    return [[at, str(price)] for at, price in seq]


def _load_points(raw: Any) -> deque[tuple[float, Decimal]]:
    return deque((float(at), Decimal(price)) for at, price in raw)


class Checkpointing:
    """Mixin of :class:`alerts.Engine`: snapshot, load, checkpoint and restore its memory."""

    _lock: threading.RLock
    _store: StateStore | None
    _name: str
    _rules: dict[str, Any]
    _states: dict[str, RuleState]
    _dirty: set[str]
    _saved: set[str]
    _books: dict[str, SymbolBook]
    _active: set[str]
    _nodata_heap: list[tuple[float, str]]
    _log_hits: dict[str, deque[float]]
    _seen_templates: dict[str, set[str]]
    _health_status: dict[str, str]
    cursor: str | None
    rules_version: int | None

    @staticmethod
    def saved_rules_version(store: StateStore, name: str = "default") -> int | None:
        """Return the store-rules version in engine ``name``'s checkpoint (None: none saved)."""
        raw = store.get(f"alerts:engine:{name}:memory")
        try:
            version = json.loads(raw).get("rules_version") if raw else None
        except (ValueError, AttributeError):
            return None
        return version if isinstance(version, int) else None

    def _book(self, symbol: str) -> SymbolBook:
        raise NotImplementedError

    def _prime(self, comp: Any) -> None:
        raise NotImplementedError

    def _hand_over(self, out: list[Notification]) -> None:
        raise NotImplementedError

    def _key(self, part: str) -> str:
        return f"alerts:engine:{self._name}:{part}"

    def _memory(self) -> dict[str, Any]:
        """Everything but the rule states: cursor, last prices, baselines, log windows."""
        return {
            "version": 2,
            "cursor": self.cursor,
            "rules_version": self.rules_version,
            "books": {
                sym: {
                    "last_price": None if b.last_price is None else str(b.last_price),
                    "last_seen": b.last_seen,
                    "last_event": b.last_event,
                    "last_ts": b.last_ts,
                    "volumes": [str(v) for v in b.volume_history],
                    "windows": {
                        repr(span): {"mins": _save_points(w.mins), "maxs": _save_points(w.maxs)}
                        for span, w in b.windows.items()
                        if w.mins
                    },
                }
                for sym, b in self._books.items()
                if b.last_seen is not None
            },
            "log_hits": {rid: list(h) for rid, h in self._log_hits.items() if h},
            "templates": {rid: sorted(s) for rid, s in self._seen_templates.items() if s},
            "health": dict(self._health_status),
        }

    def snapshot(self) -> dict[str, Any]:
        """Return the engine's whole memory (states, last prices, cursor) as JSON data."""
        with self._lock:
            data = self._memory()
            data["revisions"] = {rid: c.revision for rid, c in self._rules.items()}
            data["states"] = {
                rid: st.to_json() for rid, st in self._states.items() if not st.is_default
            }
            return data

    def load_snapshot(self, data: dict[str, Any]) -> None:
        """Restore memory saved by :meth:`snapshot`; states of edited rules are dropped."""
        with self._lock:
            revisions: dict[str, str] = data.get("revisions", {})
            self.cursor = data.get("cursor")
            version = data.get("rules_version")
            if isinstance(version, int):
                self.rules_version = version
            for rid, raw in data.get("states", {}).items():
                comp = self._rules.get(rid)
                if comp is not None and revisions.get(rid) == comp.revision:
                    st = self._states[rid] = RuleState.from_json(raw)
                    if st.status != "inactive":
                        self._active.add(rid)
                        symbol = getattr(comp.rule, "symbol", None)
                        if symbol in self._books:
                            self._books[symbol].active.add(rid)
            for sym, raw in data.get("books", {}).items():
                book = self._book(sym)
                price = raw.get("last_price")
                book.last_price = None if price is None else Decimal(price)
                book.last_seen = raw.get("last_seen")
                book.last_event = raw.get("last_event", "")
                book.last_ts = raw.get("last_ts")
                book.volume_history.extend(Decimal(v) for v in raw.get("volumes", ()))
                for span, points in raw.get("windows", {}).items():
                    window = book.windows.get(float(span))
                    if window is not None:  # a move rule of that window length still exists
                        window.mins = _load_points(points["mins"])
                        window.maxs = _load_points(points["maxs"])
                for rid in book.nodata:
                    period = self._rules[rid].rule.period
                    heapq.heappush(self._nodata_heap, ((book.last_seen or 0) + period, rid))
            for rid, hits in data.get("log_hits", {}).items():
                if rid in self._log_hits:
                    self._log_hits[rid].extend(hits)
            for rid, seen in data.get("templates", {}).items():
                if rid in self._seen_templates:
                    self._seen_templates[rid].update(seen)
            self._health_status.update(data.get("health", {}))
            for rid, comp in self._rules.items():
                if rid not in self._states:
                    self._prime(comp)

    def checkpoint(self) -> None:
        """Save what changed since the last checkpoint, then the cursor; no-op without a store.

        Rule states are saved one key per rule, and only those that changed, so a checkpoint
        costs what happened, not how many rules exist. The cursor goes last: a crash half-way
        leaves states ahead of the cursor, and replaying events over them only produces
        notifications the outbox already holds. Call it after the notifications of the
        processed events are in the outbox (``process`` does that when it has one).
        """
        store = self._store
        if store is None:
            return
        with self._lock:
            self._hand_over([])  # never save a state whose notifications are not durable yet
            dirty, self._dirty = self._dirty, set()
            changed: dict[str, bytes | None] = {}
            for rid in dirty:
                st, comp = self._states.get(rid), self._rules.get(rid)
                if st is None or comp is None or st.is_default:
                    changed[rid] = None
                else:
                    doc = {"revision": comp.revision, "state": st.to_json()}
                    changed[rid] = json.dumps(doc, separators=(",", ":")).encode()
            saved = set(self._saved)
            saved.update(rid for rid, raw in changed.items() if raw is not None)
            saved.difference_update(rid for rid, raw in changed.items() if raw is None)
            memory = json.dumps(self._memory(), separators=(",", ":")).encode()
        try:
            for rid, raw in changed.items():
                if raw is None:
                    store.delete(self._key(f"state:{rid}"))
                else:
                    store.set(self._key(f"state:{rid}"), raw)
            if saved != self._saved:
                store.set(self._key("states"), json.dumps(sorted(saved)).encode())
            store.set(self._key("memory"), memory)
        except Exception:
            with self._lock:
                self._dirty |= dirty
            raise
        self._saved = saved

    def restore(self) -> bool:
        """Load the last checkpoint from the store.

        Returns:
            True when a checkpoint was found.
        """
        store = self._store
        if store is None:
            return False
        try:
            raw_ids = store.get(self._key("states"))
            ids: list[str] = json.loads(raw_ids) if raw_ids else []
            states: dict[str, Any] = {}
            revisions: dict[str, str] = {}
            for rid in ids:
                if rid not in self._rules:
                    continue
                raw = store.get(self._key(f"state:{rid}"))
                if raw is not None:
                    doc = json.loads(raw)
                    states[rid], revisions[rid] = doc["state"], doc["revision"]
            raw_memory = store.get(self._key("memory"))
            if raw_memory is None and not states:
                return False
            data: dict[str, Any] = json.loads(raw_memory) if raw_memory else {}
            data["states"], data["revisions"] = states, revisions
            self.load_snapshot(data)
        except (ValueError, TypeError, KeyError):
            log.warning("alerts engine checkpoint unreadable; starting fresh", exc_info=True)
            return False
        self._saved = set(ids)
        return True
