"""The rule engine: indexed evaluation of every event, pending → firing → resolved, trigger modes.

Thresholds live in sorted lists per symbol, so a tick only touches the rules whose threshold lies
between the previous and the current price; log, anomaly and health rules are indexed by source,
kind and check. The cost of one event therefore depends on the rules that can match it, not on
how many rules exist.
"""

from __future__ import annotations

import hashlib
import heapq
import logging
import re
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from alerts._checkpoint import Checkpointing
from alerts._events import Anomaly, Event, HealthEvent, LogEvent, Tick, _digest
from alerts._exceptions import UnknownRuleError
from alerts._index import MinMaxWindow, SymbolBook
from alerts._notification import Notification, RuleState
from alerts._rules import (
    LOG_LEVELS,
    AnomalyRule,
    CrossingRule,
    HealthRule,
    LogFrequencyRule,
    LogPatternRule,
    MoveRule,
    NewTemplateRule,
    NoDataRule,
    PriceAboveRule,
    PriceBelowRule,
    PriceChannelRule,
    Rule,
    VolumeSpikeRule,
)
from alerts._statemachine import StateMachine

if TYPE_CHECKING:
    from alerts._outbox import Outbox
    from statestore import StateStore

log = logging.getLogger(__name__)

Clock = Callable[[], float]
_LEVEL_RANK = {name: i for i, name in enumerate(LOG_LEVELS)}
#: Seconds a tick's timestamp may be ahead of the engine's clock and still order the ticks.
MAX_CLOCK_SKEW = 300.0
_PRICE_TEXT = "price"  # the summary of price rules is written when they notify
_LEVEL_ALIASES = {"warn": "warning", "err": "error", "crit": "critical", "fatal": "critical"}


def rule_revision(rule: Rule) -> str:
    """Return a short digest of a rule's content; an edited rule gets new idempotency keys."""
    raw = rule.model_dump_json(by_alias=True)  # field order is fixed by the model: stable
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def _level_ok(minimum: str | None, level: str) -> bool:
    if minimum is None:
        return True
    level = _LEVEL_ALIASES.get(level, level)
    return _LEVEL_RANK.get(level, _LEVEL_RANK["info"]) >= _LEVEL_RANK[minimum]


class _Compiled:
    """A rule plus what evaluation needs precomputed (regex, revision)."""

    __slots__ = ("regex", "revision", "rule")

    def __init__(self, rule: Rule) -> None:
        self.rule = rule
        self.revision = rule_revision(rule)
        pattern = getattr(rule, "pattern", None)
        self.regex = re.compile(pattern) if pattern else None


class Engine(StateMachine, Checkpointing):
    """Evaluate rules on events and emit notifications.

    Thread-safe: ``process`` and ``poll`` may be called from several threads.

    Args:
        rules: the rules to evaluate (disabled ones are kept but never evaluated).
        store: a :class:`statestore.StateStore`; when given, rule states and market memory are
            restored at start and saved by :meth:`checkpoint`, so they survive a restart.
        clock: returns the current unix time; inject a fake one in tests.
        name: the engine's name in the store; engines sharing a name share saved state.
        outbox: when given, every notification is submitted to it before ``process`` returns.

    Example:
        >>> from alerts import Engine, Tick, rule_from_dict
        >>> from decimal import Decimal
        >>> rule = rule_from_dict({"id": "ibm", "kind": "cross_up", "symbol": "IBM", "level": 150})
        >>> engine = Engine([rule], clock=lambda: 0.0)
        >>> engine.process(Tick("IBM", Decimal("149")))
        []
        >>> [n.summary for n in engine.process(Tick("IBM", Decimal("151")))]
        ['IBM crossed up 150 (last 151)']
    """

    def __init__(
        self,
        rules: Iterable[Rule] = (),
        store: StateStore | None = None,
        clock: Clock = time.time,
        *,
        name: str = "default",
        outbox: Outbox | None = None,
    ) -> None:
        self._clock = clock
        self._store = store
        self._name = name
        self._outbox = outbox
        self._lock = threading.RLock()
        self._rules: dict[str, _Compiled] = {}
        self._states: dict[str, RuleState] = {}
        self._dirty: set[str] = set()
        self._books: dict[str, SymbolBook] = {}
        self._active: set[str] = set()
        self._nodata_heap: list[tuple[float, str]] = []
        self._log_rules: dict[str | None, list[str]] = {}
        self._anomaly_rules: dict[str, list[str]] = {}
        self._health_rules: dict[str | None, list[str]] = {}
        self._health_status: dict[str, str] = {}
        self._log_hits: dict[str, deque[float]] = {}
        self._seen_templates: dict[str, set[str]] = {}
        self._started = clock()
        self._unsent: list[Notification] = []
        self._saved: set[str] = set()
        self.cursor: str | None = None
        #: Version of the store's rules applied (``alerts run --store-rules``); checkpointed.
        self.rules_version: int | None = None
        #: Ticks dropped because they were older than one already seen for their symbol.
        self.stale_ticks = 0
        self.set_rules(rules)
        if store is not None:
            self.restore()

    # ------------------------------------------------------------------ rules

    @property
    def rules(self) -> list[Rule]:
        """The rules currently loaded."""
        with self._lock:
            return [c.rule for c in self._rules.values()]

    def state(self, rule_id: str) -> RuleState:
        """Return (a copy of) the state of one rule."""
        with self._lock:
            st = self._states.get(rule_id)
            return RuleState.from_json(st.to_json()) if st else RuleState()

    def states(self) -> dict[str, RuleState]:
        """Return (copies of) the states of the rules that are not idle, by rule id."""
        with self._lock:
            return {
                rid: RuleState.from_json(st.to_json())
                for rid, st in self._states.items()
                if rid in self._rules and not st.is_default
            }

    def reset(self, rule_id: str) -> None:
        """Forget one rule's state: re-arms a spent ``once`` rule, clears cooldowns.

        Raises:
            UnknownRuleError: no such rule is loaded.
        """
        with self._lock:
            comp = self._rules.get(rule_id)
            if comp is None:
                raise UnknownRuleError(rule_id)
            self._states.pop(rule_id, None)
            self._active.discard(rule_id)
            for book in self._books.values():
                book.active.discard(rule_id)
            self._dirty.add(rule_id)
            self._prime(comp)

    def set_rules(self, rules: Iterable[Rule]) -> None:
        """Replace the rule set; rules whose content did not change keep their state.

        Raises:
            ValueError: two rules share an id.
        """
        with self._lock:
            new: dict[str, _Compiled] = {}
            for rule in rules:
                if rule.id in new:
                    raise ValueError(f"duplicate rule id {rule.id!r}")
                old = self._rules.get(rule.id)
                new[rule.id] = old if old and old.rule == rule else _Compiled(rule)
            for rid, old in self._rules.items():
                if rid not in new or new[rid] is not old:
                    self._unindex(old)
                    self._states.pop(rid, None)
                    self._dirty.add(rid)
                    self._active.discard(rid)
            fresh = [comp for rid, comp in new.items() if self._rules.get(rid) is not comp]
            self._rules = new
            for comp in fresh:
                self._index(comp)
                self._prime(comp)

    def _prime(self, comp: _Compiled) -> None:
        """Give a new rule the condition implied by what is already known (last price, last
        health status), so a rule added while IBM is above 100 fires without waiting for a
        crossing. It becomes pending/firing at the next event or poll."""
        rule = comp.rule
        if not rule.enabled:
            return
        cond, summary, value = False, "", None
        if isinstance(rule, PriceAboveRule | PriceBelowRule):
            book = self._books.get(rule.symbol)
            if book is None or book.last_price is None:
                return
            price = book.last_price
            above = isinstance(rule, PriceAboveRule)
            cond = price > rule.threshold if above else price < rule.threshold
            word = "above" if above else "below"
            summary = f"{rule.symbol} price {price} is {word} {rule.threshold}"
            value = str(price)
        elif isinstance(rule, HealthRule):
            for check, status in self._health_status.items():
                if (rule.check is None or rule.check == check) and status in rule.statuses:
                    cond, summary = True, f"health check {check} is {status}"
        if cond:
            st = self._st(rule.id)
            # The firing id must not depend on when this engine loaded the rule, or engines
            # that reload at different moments would send the same firing under two keys.
            st.cond, st.episode, st.value = True, f"prime:{comp.revision}", value
            st.extra["summary"] = summary
            self._dirty.add(rule.id)
            self._active.add(rule.id)
            symbol = getattr(rule, "symbol", None)
            if symbol in self._books:
                self._books[symbol].active.add(rule.id)

    def add_rule(self, rule: Rule) -> None:
        """Add or replace one rule."""
        with self._lock:
            rules = {r.id: r for r in self.rules}
            rules[rule.id] = rule
            self.set_rules(rules.values())

    def remove_rule(self, rule_id: str) -> None:
        """Remove one rule (no-op when absent)."""
        with self._lock:
            self.set_rules(r for r in self.rules if r.id != rule_id)

    def _book(self, symbol: str) -> SymbolBook:
        book = self._books.get(symbol)
        if book is None:
            book = self._books[symbol] = SymbolBook()
        return book

    def _index(self, comp: _Compiled) -> None:
        rule, rid = comp.rule, comp.rule.id
        if not rule.enabled:
            return
        if isinstance(rule, PriceAboveRule):
            self._book(rule.symbol).above.add(rule.threshold, rid)
        elif isinstance(rule, PriceBelowRule):
            self._book(rule.symbol).below.add(rule.threshold, rid)
        elif isinstance(rule, CrossingRule):
            book = self._book(rule.symbol)
            (book.cross_up if rule.kind == "cross_up" else book.cross_down).add(rule.level, rid)
        elif isinstance(rule, PriceChannelRule):
            book = self._book(rule.symbol)
            book.band_lower.add(rule.lower, rid)
            book.band_upper.add(rule.upper, rid)
        elif isinstance(rule, MoveRule):
            self._book(rule.symbol).moves.append(rid)
            book = self._book(rule.symbol)
            if rule.window not in book.windows:
                book.windows[rule.window] = MinMaxWindow(rule.window)
        elif isinstance(rule, VolumeSpikeRule):
            book = self._book(rule.symbol)
            book.volumes.append(rid)
            if (book.volume_history.maxlen or 0) < rule.baseline:
                book.volume_history = deque(book.volume_history, maxlen=rule.baseline)
        elif isinstance(rule, NoDataRule):
            book = self._book(rule.symbol)
            book.nodata.append(rid)
            seen = book.last_seen if book.last_seen is not None else self._started
            heapq.heappush(self._nodata_heap, (seen + rule.period, rid))
        elif isinstance(rule, LogPatternRule | LogFrequencyRule | NewTemplateRule):
            self._log_rules.setdefault(rule.source, []).append(rid)
            if isinstance(rule, LogFrequencyRule):
                self._log_hits[rid] = deque()
            if isinstance(rule, NewTemplateRule):
                self._anomaly_rules.setdefault("new_template", []).append(rid)
                self._seen_templates.setdefault(rid, set())
        elif isinstance(rule, AnomalyRule):
            for kind in rule.kinds:
                self._anomaly_rules.setdefault(kind, []).append(rid)
        elif isinstance(rule, HealthRule):
            self._health_rules.setdefault(rule.check, []).append(rid)

    def _unindex(self, comp: _Compiled) -> None:
        rule, rid = comp.rule, comp.rule.id
        symbol = getattr(rule, "symbol", None)
        if symbol is not None and symbol in self._books:
            book = self._books[symbol]
            if isinstance(rule, PriceAboveRule):
                book.above.remove(rule.threshold, rid)
            elif isinstance(rule, PriceBelowRule):
                book.below.remove(rule.threshold, rid)
            elif isinstance(rule, CrossingRule):
                book.cross_up.remove(rule.level, rid)
                book.cross_down.remove(rule.level, rid)
            elif isinstance(rule, PriceChannelRule):
                book.band_lower.remove(rule.lower, rid)
                book.band_upper.remove(rule.upper, rid)
            for bucket in (book.moves, book.volumes, book.nodata):
                if rid in bucket:
                    bucket.remove(rid)
            book.active.discard(rid)
        self._log_hits.pop(rid, None)
        self._seen_templates.pop(rid, None)
        indexes: list[dict[Any, list[str]]] = [
            self._log_rules,
            self._anomaly_rules,
            self._health_rules,
        ]
        for index in indexes:
            for ids in index.values():
                if rid in ids:
                    ids.remove(rid)

    # ------------------------------------------------------------- evaluation

    def process(self, event: Event) -> list[Notification]:
        """Evaluate one event against the rules that can match it.

        Args:
            event: a :class:`Tick`, :class:`LogEvent`, :class:`Anomaly` or :class:`HealthEvent`.

        Returns:
            The notifications this event caused (already submitted to the outbox, if any).
        """
        with self._lock:
            now = self._clock()
            eid = event.id or _digest(event.to_payload())
            out: list[Notification] = []
            if isinstance(event, Tick):
                self._on_tick(event, eid, now, out)
            elif isinstance(event, LogEvent):
                self._on_log(event, eid, now, out)
            elif isinstance(event, Anomaly):
                self._on_anomaly(event, eid, now, out)
            else:
                self._on_health(event, eid, now, out)
            self._hand_over(out)
            return out

    def process_many(self, events: Iterable[Event]) -> list[Notification]:
        """Process events in order; return all their notifications."""
        out: list[Notification] = []
        for event in events:
            out.extend(self.process(event))
        return out

    def poll(self) -> list[Notification]:
        """Advance time-based transitions: ``for`` elapsed, ``keep_firing_for`` expired, windows
        slid, reminders due, symbols gone quiet (``no_data``). Call it about once a second.

        Returns:
            The notifications caused by the passage of time.
        """
        with self._lock:
            now = self._clock()
            out: list[Notification] = []
            heap = self._nodata_heap
            while heap and heap[0][0] <= now:
                _, rid = heapq.heappop(heap)
                comp = self._rules.get(rid)
                if comp is None or not isinstance(comp.rule, NoDataRule) or not comp.rule.enabled:
                    continue
                book = self._book(comp.rule.symbol)
                seen = book.last_seen if book.last_seen is not None else self._started
                due = seen + comp.rule.period
                if due > now:
                    heapq.heappush(heap, (due, rid))
                    continue
                st = self._st(rid)
                if not st.cond:
                    silent = now - seen
                    summary = f"no data for {comp.rule.symbol} for {silent:.0f}s"
                    firing = f"nodata:{book.last_event or 'start'}"
                    self._set_cond(comp, st, True, now, firing, summary, None, out)
            for rid in list(self._active):
                comp = self._rules.get(rid)
                if comp is None:
                    self._active.discard(rid)
                    continue
                st = self._st(rid)
                rule = comp.rule
                if isinstance(rule, LogFrequencyRule):
                    hits = self._log_hits[rid]
                    while hits and hits[0] <= now - rule.window:
                        hits.popleft()
                    if st.cond and len(hits) < rule.count:
                        st.cond, st.cleared_at = False, now
                        self._dirty.add(rid)
                elif isinstance(rule, MoveRule):
                    book = self._book(rule.symbol)
                    window = book.windows[rule.window]
                    window.expire(now)
                    price = book.last_price
                    if st.cond and price is not None and not self._move_text(rule, window, price):
                        st.cond, st.cleared_at = False, now
                        self._dirty.add(rid)
                self._advance(comp, st, now, out)
            self._hand_over(out)
            return out

    def _hand_over(self, out: list[Notification]) -> None:
        """Submit notifications to the outbox; keep them if the store fails, so none is lost.

        The engine's state already moved on, so a notification that did not reach the outbox
        would never be produced again: it waits here and goes first on the next call.
        """
        if self._outbox is None:
            return
        self._unsent.extend(out)
        if self._unsent:
            batch = list(self._unsent)
            self._outbox.submit(batch)  # raises on a store failure; the batch stays queued
            del self._unsent[: len(batch)]

    def _st(self, rid: str) -> RuleState:
        st = self._states.get(rid)
        if st is None:
            st = self._states[rid] = RuleState()
        return st

    def _on_tick(self, tick: Tick, eid: str, now: float, out: list[Notification]) -> None:
        # Every symbol gets a book, rules or not: a rule added later needs the last price.
        book = self._book(tick.symbol)
        # A tick older than one already seen (a late quote after a fresher trade, a replayed
        # provider answer) would move the price backwards and forwards again: a crossing
        # alert twice for one real crossing. Drop it. A timestamp far in the future (a bad
        # provider clock) is used, but never becomes the bar others are held to.
        ts = tick.timestamp.timestamp()
        if book.last_ts is not None and ts < book.last_ts:
            self.stale_ticks += 1
            log.debug("out-of-order tick dropped", extra={"symbol": tick.symbol, "event_id": eid})
            return
        if ts <= now + MAX_CLOCK_SKEW:
            book.last_ts = ts
        p1, p0 = tick.price, book.last_price
        book.last_price, book.last_seen, book.last_event = p1, now, eid
        sym, rules = tick.symbol, self._rules
        if p0 is None:
            above = book.above
            for rid in above.ids[: above.left(p1)]:
                self._level(rules[rid], True, now, eid, _PRICE_TEXT, p1, out)
            below = book.below
            for rid in below.ids[below.right(p1) :]:
                self._level(rules[rid], True, now, eid, _PRICE_TEXT, p1, out)
        elif p1 != p0:
            lo, hi = (p0, p1) if p0 < p1 else (p1, p0)
            up = p1 > p0
            above, below = book.above, book.below
            for rid in above.ids[above.left(lo) : above.left(hi)]:
                self._level(rules[rid], up, now, eid, _PRICE_TEXT, p1, out)
            for rid in below.ids[below.right(lo) : below.right(hi)]:
                self._level(rules[rid], not up, now, eid, _PRICE_TEXT, p1, out)
            crossed = book.cross_up if up else book.cross_down
            word = "up" if up else "down"
            for rid in crossed.ids[crossed.right(lo) : crossed.right(hi)]:
                comp = rules[rid]
                level = comp.rule.level  # type: ignore[union-attr]
                summary = f"{sym} crossed {word} {level} (last {p1})"
                self._occur(comp, now, eid, summary, p1, out)
            bl, bu = book.band_lower, book.band_upper
            if bl:
                candidates = set(bl.ids[bl.right(lo) : bl.right(hi)])
                candidates.update(bu.ids[bu.left(lo) : bu.left(hi)])
                for rid in sorted(candidates):
                    comp = rules[rid]
                    band = comp.rule
                    assert isinstance(band, PriceChannelRule)  # noqa: S101 - index invariant
                    inside0 = band.lower <= p0 <= band.upper
                    inside1 = band.lower <= p1 <= band.upper
                    if inside1 and not inside0 and band.kind == "channel_enter":
                        summary = f"{sym} entered {band.lower}..{band.upper} (last {p1})"
                        self._occur(comp, now, eid, summary, p1, out)
                    elif inside0 and not inside1 and band.kind == "channel_exit":
                        summary = f"{sym} left {band.lower}..{band.upper} (last {p1})"
                        self._occur(comp, now, eid, summary, p1, out)
        if book.moves:
            for window in book.windows.values():  # shared by the rules of one window length
                window.push(now, p1)
            for rid in book.moves:
                comp = rules[rid]
                move = comp.rule
                assert isinstance(move, MoveRule)  # noqa: S101 - index invariant
                text = self._move_text(move, book.windows[move.window], p1)
                self._level(comp, text is not None, now, eid, text or "", p1, out)
        if tick.volume is not None and book.volumes:
            self._on_volume(book, sym, tick.volume, now, eid, out)
        for rid in book.nodata:
            st = self._states.get(rid)
            if st is not None and st.cond:
                self._set_cond(rules[rid], st, False, now, eid, "", p1, out)
                # Its deadline left the heap when it fired; the next one counts from now.
                heapq.heappush(self._nodata_heap, (now + rules[rid].rule.period, rid))  # type: ignore[union-attr]
        for rid in list(book.active):
            active = rules.get(rid)
            if active is None:
                continue
            comp = active
            st = self._st(rid)
            self._advance(comp, st, now, out)

    def _on_volume(
        self,
        book: SymbolBook,
        sym: str,
        volume: Decimal,
        now: float,
        eid: str,
        out: list[Notification],
    ) -> None:
        history = list(book.volume_history)
        means: dict[int, Decimal | None] = {}
        for rid in book.volumes:
            comp = self._rules[rid]
            spike = comp.rule
            assert isinstance(spike, VolumeSpikeRule)  # noqa: S101 - index invariant
            size = min(spike.baseline, len(history))
            if size not in means:
                recent = history[len(history) - size :]
                means[size] = sum(recent, Decimal(0)) / size if size else None
            mean = means[size]
            cond, text = False, ""
            if size >= spike.min_samples and mean is not None and mean > 0:
                ratio = volume / mean
                if ratio >= spike.factor:
                    cond = True
                    text = f"{sym} volume {volume} is {ratio:.1f}x its baseline {mean:.0f}"
            self._level(comp, cond, now, eid, text, volume, out)
        book.volume_history.append(volume)

    @staticmethod
    def _move_text(rule: MoveRule, window: MinMaxWindow, price: Decimal) -> str | None:
        low, high = window.low, window.high
        if low is None or high is None:
            return None
        moves: list[tuple[str, Decimal, Decimal]] = []
        if rule.direction in ("up", "any"):
            moves.append(("up", price - low, low))
        if rule.direction in ("down", "any"):
            moves.append(("down", high - price, high))
        for word, delta, base in moves:
            if delta <= 0:
                continue
            if (rule.amount is not None and delta >= rule.amount) or (
                rule.percent is not None and base > 0 and delta * 100 >= rule.percent * base
            ):
                pct = delta / base * 100 if base > 0 else Decimal(0)
                return (
                    f"{rule.symbol} moved {word} {delta} ({pct:.2f}%) within "
                    f"{rule.window:g}s (last {price})"
                )
        return None

    def _on_log(self, event: LogEvent, eid: str, now: float, out: list[Notification]) -> None:
        for key in (None, event.source) if event.source else (None,):
            for rid in self._log_rules.get(key, ()):
                comp = self._rules[rid]
                rule = comp.rule
                if isinstance(rule, NewTemplateRule):
                    if event.template_id:
                        self._new_template(
                            comp, event.template_id, event.template, event.source, now, out
                        )
                    continue
                assert isinstance(rule, LogPatternRule | LogFrequencyRule)  # noqa: S101
                if not _level_ok(rule.min_level, event.level):
                    continue
                if rule.template_id is not None and rule.template_id != event.template_id:
                    continue
                if comp.regex is not None and not comp.regex.search(event.message):
                    continue
                if isinstance(rule, LogPatternRule):
                    summary = f"{event.source or 'log'} {event.level}: {event.message[:300]}"
                    self._occur(comp, now, eid, summary, None, out)
                else:
                    hits = self._log_hits[rid]
                    hits.append(now)
                    while hits and hits[0] <= now - rule.window:
                        hits.popleft()
                    cond = len(hits) >= rule.count
                    summary = (
                        f"{len(hits)} matching log events within {rule.window:g}s "
                        f"(threshold {rule.count}); last: {event.message[:200]}"
                    )
                    self._level(comp, cond, now, eid, summary, Decimal(len(hits)), out)

    def _new_template(
        self,
        comp: _Compiled,
        template_id: str,
        template: str,
        source: str,
        now: float,
        out: list[Notification],
    ) -> None:
        seen = self._seen_templates[comp.rule.id]
        if template_id in seen:
            return
        seen.add(template_id)
        self._dirty.add(comp.rule.id)
        summary = f"new log template in {source or 'logs'}: {template or template_id}"
        self._occur(comp, now, f"tpl:{template_id}", summary, None, out)

    def _on_anomaly(self, event: Anomaly, eid: str, now: float, out: list[Notification]) -> None:
        for rid in self._anomaly_rules.get(event.kind, ()):
            comp = self._rules[rid]
            rule = comp.rule
            if rule.source is not None and rule.source != event.source:  # type: ignore[union-attr]
                continue
            if isinstance(rule, NewTemplateRule):
                key = event.template_id or event.template
                if key:
                    self._new_template(comp, key, event.template, event.source, now, out)
                continue
            assert isinstance(rule, AnomalyRule)  # noqa: S101
            if event.count < rule.min_count:
                continue
            summary = (
                f"{event.kind} in {event.source or 'logs'}: {event.template or event.template_id}"
                f" (count {event.count}, baseline {event.baseline:g})"
            )
            self._occur(comp, now, eid, summary, Decimal(event.count), out)

    def _on_health(self, event: HealthEvent, eid: str, now: float, out: list[Notification]) -> None:
        self._health_status[event.check] = event.status
        for key in (None, event.check):
            for rid in self._health_rules.get(key, ()):
                comp = self._rules[rid]
                rule = comp.rule
                assert isinstance(rule, HealthRule)  # noqa: S101
                cond = event.status in rule.statuses
                summary = f"health check {event.check} is {event.status}: {event.detail}"
                self._level(comp, cond, now, eid, summary, None, out)

    # ------------------------------------------------------------ persistence
