"""The per-rule state machine of :class:`alerts.Engine`: pending → firing → resolved.

``for`` (hold before firing), ``keep_firing_for`` (hysteresis against flapping), schedules,
trigger modes (once, interval, every with cooldown) and the notifications they emit. The engine
decides *whether a condition holds*; this module decides *what that means over time*.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Literal

from alerts._notification import Notification, RuleState, notification_id, utc
from alerts._rules import LogFrequencyRule, MoveRule, PriceAboveRule, PriceBelowRule

if TYPE_CHECKING:
    from decimal import Decimal

    from alerts._engine import _Compiled
    from alerts._index import SymbolBook


class StateMachine:
    """Mixin of :class:`alerts.Engine`: rule state transitions and the notifications they emit."""

    _states: dict[str, RuleState]
    _dirty: set[str]
    _books: dict[str, SymbolBook]
    _active: set[str]

    def _st(self, rid: str) -> RuleState:
        raise NotImplementedError

    def _scheduled(self, comp: _Compiled, now: float) -> bool:
        schedule = comp.rule.schedule
        return schedule is None or schedule.active_at(utc(now))

    def _level(
        self,
        comp: _Compiled,
        cond: bool,
        now: float,
        eid: str,
        summary: str,
        value: Decimal | None,
        out: list[Notification],
    ) -> None:
        rid = comp.rule.id
        st = self._states.get(rid)
        if st is None:
            if not cond:
                return
            st = self._st(rid)
        self._set_cond(comp, st, cond, now, eid, summary, value, out)

    def _set_cond(
        self,
        comp: _Compiled,
        st: RuleState,
        cond: bool,
        now: float,
        eid: str,
        summary: str,
        value: Decimal | None,
        out: list[Notification],
    ) -> None:
        rid = comp.rule.id
        if cond:
            if st.status == "inactive":
                st.episode = eid
            st.extra["summary"] = summary
            st.value = None if value is None else str(value)
        elif st.cond:
            st.cleared_at = now
        st.cond = cond
        self._dirty.add(rid)
        self._advance(comp, st, now, out)

    def _occur(
        self,
        comp: _Compiled,
        now: float,
        eid: str,
        summary: str,
        value: Decimal | None,
        out: list[Notification],
    ) -> None:
        if not self._scheduled(comp, now):
            return
        st = self._st(comp.rule.id)
        if st.status == "firing":
            st.cleared_at = now
            self._dirty.add(comp.rule.id)
            self._advance(comp, st, now, out)
            return
        st.episode = eid
        st.extra["summary"] = summary
        st.value = None if value is None else str(value)
        st.status, st.since, st.cond, st.cleared_at = "firing", now, False, now
        st.notified_episode, st.muted, st.repeats = False, False, 0
        st.fired += 1
        self._dirty.add(comp.rule.id)
        self._notify_firing(comp, st, now, out)
        self._advance(comp, st, now, out)

    def _advance(self, comp: _Compiled, st: RuleState, now: float, out: list[Notification]) -> None:
        rule, rid = comp.rule, comp.rule.id
        before = st.status
        if st.status == "inactive" and st.cond and self._scheduled(comp, now):
            st.status, st.since = "pending", now
        if st.status == "pending":
            if not st.cond:
                st.status = "inactive"
            elif now - st.since >= rule.for_:
                st.status, st.since, st.repeats = "firing", now, 0
                st.notified_episode = st.muted = False
                st.fired += 1
                self._notify_firing(comp, st, now, out)
        elif st.status == "firing":
            if not st.cond and now - st.cleared_at >= rule.keep_firing_for:
                st.status = "inactive"
                if rule.notify_resolved and st.notified_episode:
                    self._emit(comp, st, "resolved", now, out)
                st.notified_episode = False
            elif not st.notified_episode and not st.muted:
                self._notify_firing(comp, st, now, out)
            elif (
                rule.trigger.mode == "interval"
                and st.cond
                and st.last_notified is not None
                and now - st.last_notified >= (rule.trigger.interval or 0)
            ):
                st.repeats += 1
                self._emit(comp, st, "firing", now, out)
        if st.status != before:
            self._dirty.add(rid)
        symbol = getattr(rule, "symbol", None)
        book = self._books.get(symbol) if symbol else None
        # Only rules that time can change need a look on every tick and poll: pending ones,
        # firing ones that wait for keep_firing_for, a first notification or a reminder, and
        # windowed ones. A rule firing quietly while its condition holds costs nothing.
        waiting = st.status == "inactive" and st.cond and rule.schedule is not None
        attention = (
            waiting
            or st.status == "pending"
            or (
                st.status == "firing"
                and (
                    not st.cond
                    or not (st.notified_episode or st.muted)
                    or rule.trigger.mode == "interval"
                    or isinstance(rule, MoveRule | LogFrequencyRule)
                )
            )
        )
        if not attention:
            self._active.discard(rid)
            if book is not None:
                book.active.discard(rid)
        else:
            self._active.add(rid)
            if book is not None:
                book.active.add(rid)

    def _notify_firing(
        self, comp: _Compiled, st: RuleState, now: float, out: list[Notification]
    ) -> None:
        trigger = comp.rule.trigger
        if trigger.mode == "once" and st.spent:
            st.suppressed += 1
            st.muted = True  # nothing to send for this episode, resolved notice included
            return
        gap = trigger.cooldown
        if trigger.mode == "interval":
            gap = max(gap, trigger.interval or 0)
        if st.last_notified is not None and now - st.last_notified < gap:
            st.suppressed += 1
            self._dirty.add(comp.rule.id)
            return
        if trigger.mode == "once":
            st.spent = True
        self._emit(comp, st, "firing", now, out)

    def _emit(
        self,
        comp: _Compiled,
        st: RuleState,
        status: Literal["firing", "resolved"],
        now: float,
        out: list[Notification],
    ) -> None:
        rule = comp.rule
        if isinstance(rule, PriceAboveRule | PriceBelowRule):
            # Say the price as of now, not as of when the condition first held.
            book = self._books.get(rule.symbol)
            if book is not None and book.last_price is not None:
                st.value = str(book.last_price)
            word = "above" if isinstance(rule, PriceAboveRule) else "below"
            if status == "resolved":
                word = f"no longer {word}"
            st.extra["summary"] = f"{rule.symbol} price {st.value} is {word} {rule.threshold}"
        summary = str(st.extra.get("summary", rule.title))
        if status == "resolved" and not isinstance(rule, PriceAboveRule | PriceBelowRule):
            summary = f"resolved: {summary}"
        else:
            st.last_notified = now
            st.notified_episode = True
        out.append(
            Notification(
                id=notification_id(rule.id, comp.revision, st.episode, status, st.repeats),
                rule_id=rule.id,
                rule_name=rule.title,
                kind=rule.kind,
                status=status,
                severity=rule.severity,
                summary=summary,
                symbol=getattr(rule, "symbol", None),
                value=st.value,
                firing_id=st.episode,
                repeat=st.repeats,
                at=utc(now),
                labels=dict(rule.labels),
                channels=rule.channels,
                actions=rule.actions if status == "firing" else (),
                details={"description": rule.description} if rule.description else {},
            )
        )
        self._dirty.add(rule.id)
