"""Engine semantics: every rule kind, pending/firing/resolved, trigger modes, restarts."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import TYPE_CHECKING

import pytest

from alerts import (
    Anomaly,
    Engine,
    HealthEvent,
    LogEvent,
    Notification,
    Outbox,
    Tick,
    simulate,
)
from tests.alerts.helpers import rule, tick
from tests.alerts.servers import FakeClock

if TYPE_CHECKING:
    from statestore import StateStore


def statuses(notes: list[Notification]) -> list[str]:
    return [f"{n.rule_id}:{n.status}" for n in notes]


class TestPriceRules:
    def test_price_above_fires_on_first_tick_above_and_resolves(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="price_above", symbol="ibm", threshold=100, notify_resolved=True)],
            clock=clock,
        )
        first = engine.process(tick("IBM", 101))
        assert statuses(first) == ["r:firing"]
        assert first[0].summary == "IBM price 101 is above 100"
        assert engine.process(tick("IBM", 102)) == []
        resolved = engine.process(tick("IBM", 100))
        assert statuses(resolved) == ["r:resolved"]
        assert resolved[0].summary == "IBM price 100 is no longer above 100"

    def test_price_below_uses_strict_inequality(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="price_below", symbol="IBM", threshold=100)], clock=clock)
        assert engine.process(tick("IBM", 100)) == []
        assert statuses(engine.process(tick("IBM", "99.99"))) == ["r:firing"]

    def test_other_symbols_never_touch_the_rule(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="price_above", symbol="IBM", threshold=1)], clock=clock)
        assert engine.process(tick("MSFT", 500)) == []
        assert engine.state("r").status == "inactive"

    @pytest.mark.parametrize(
        ("kind", "prices", "fired_at"),
        [
            pytest.param("cross_up", [99, 101, 99, 100, 100, 101], [1, 3], id="up"),
            pytest.param("cross_down", [101, 99, 101, 100, 99, 98], [1, 4], id="down"),
        ],
    )
    def test_crossing_fires_on_each_side_change(
        self, clock: FakeClock, kind: str, prices: list[int], fired_at: list[int]
    ) -> None:
        engine = Engine([rule(kind=kind, symbol="IBM", level=100)], clock=clock)
        fired = []
        for i, price in enumerate(prices):
            clock.advance(1)
            if engine.process(tick("IBM", price)):
                fired.append(i)
        assert fired == fired_at

    def test_channel_enter_and_exit(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(id="in", kind="channel_enter", symbol="IBM", lower=10, upper=20),
                rule(id="out", kind="channel_exit", symbol="IBM", lower=10, upper=20),
            ],
            clock=clock,
        )
        seq = [5, 15, 25, 5, 10, 20, 21]
        got = [statuses(engine.process(tick("IBM", p))) for p in seq]
        assert got == [[], ["in:firing"], ["out:firing"], [], ["in:firing"], [], ["out:firing"]]

    def test_percent_move_within_window(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="move", symbol="IBM", percent=5, window="60s", direction="up")],
            clock=clock,
        )
        assert engine.process(tick("IBM", 100)) == []
        clock.advance(30)
        assert engine.process(tick("IBM", 104)) == []
        clock.advance(10)
        fired = engine.process(tick("IBM", 105))
        assert statuses(fired) == ["r:firing"]
        assert "moved up 5" in fired[0].summary

    def test_move_outside_window_does_not_fire(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="move", symbol="IBM", amount=5, window=60)], clock=clock)
        engine.process(tick("IBM", 100))
        clock.advance(61)
        assert engine.process(tick("IBM", 105)) == []
        clock.advance(1)
        assert statuses(engine.process(tick("IBM", 99))) == ["r:firing"]  # down 6 from 105

    def test_volume_spike_against_baseline(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="volume_spike", symbol="IBM", factor=3, baseline=5, min_samples=3)],
            clock=clock,
        )
        for _ in range(2):
            assert engine.process(tick("IBM", 1, volume=100)) == []
        assert engine.process(tick("IBM", 1, volume=1000)) == []  # only 2 samples yet
        engine.process(tick("IBM", 1, volume=100))
        fired = engine.process(tick("IBM", 1, volume=2000))
        assert statuses(fired) == ["r:firing"]
        assert "x its baseline" in fired[0].summary

    def test_no_data_fires_after_period_and_resolves_on_tick(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="no_data", symbol="IBM", period="5m", notify_resolved=True)], clock=clock
        )
        engine.process(tick("IBM", 1))
        clock.advance(299)
        assert engine.poll() == []
        clock.advance(2)
        fired = engine.poll()
        assert statuses(fired) == ["r:firing"]
        assert "no data for IBM" in fired[0].summary
        assert engine.poll() == []
        assert statuses(engine.process(tick("IBM", 2))) == ["r:resolved"]

    def test_no_data_counts_from_start_when_never_seen(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="no_data", symbol="ZZZ", period=10)], clock=clock)
        clock.advance(10)
        assert statuses(engine.poll()) == ["r:firing"]


class TestOutOfOrderTicks:
    def _tick(self, price: str, second: int, eid: str) -> Tick:
        at = datetime(2026, 1, 1, 0, 0, second, tzinfo=UTC)
        return Tick("IBM", Decimal(price), timestamp=at, id=eid)

    def test_late_tick_does_not_fake_a_second_crossing(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], clock=clock)
        engine.process(self._tick("99", 1, "a"))
        assert statuses(engine.process(self._tick("101", 3, "b"))) == ["r:firing"]
        assert engine.process(self._tick("99", 2, "c")) == []  # an older quote, late
        assert engine.process(self._tick("101", 4, "d")) == []  # so no second crossing
        assert engine.state("r").fired == 1
        assert engine.stale_ticks == 1

    def test_duplicate_tick_changes_nothing(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], clock=clock)
        engine.process(self._tick("99", 1, "a"))
        assert len(engine.process(self._tick("101", 2, "b"))) == 1
        assert engine.process(self._tick("101", 2, "b2")) == []

    def test_future_timestamp_does_not_block_later_ticks(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], clock=clock)
        future = Tick("IBM", Decimal(99), timestamp=datetime(2027, 1, 1, tzinfo=UTC), id="f")
        engine.process(future)
        assert statuses(engine.process(self._tick("101", 2, "b"))) == ["r:firing"]

    def test_order_survives_restart(self, store: StateStore, clock: FakeClock) -> None:
        rules = [rule(kind="cross_up", symbol="IBM", level=100)]
        engine = Engine(rules, store, clock=clock)
        engine.process(self._tick("101", 5, "a"))
        engine.checkpoint()
        again = Engine(rules, store, clock=clock)
        again.process(self._tick("99", 4, "b"))
        assert again.process(self._tick("101", 6, "c")) == []


class TestLogRules:
    def test_pattern_level_and_source(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="log_pattern",
                    pattern=r"Fatal error",
                    source="wordpress",
                    min_level="error",
                )
            ],
            clock=clock,
        )
        ev = LogEvent("wordpress", "error", "PHP Fatal error: boom", id="e1")
        assert statuses(engine.process(ev)) == ["r:firing"]
        assert engine.process(LogEvent("nginx", "error", "PHP Fatal error: x", id="e2")) == []
        assert engine.process(LogEvent("wordpress", "info", "Fatal error", id="e3")) == []
        assert engine.process(LogEvent("wordpress", "warn", "Fatal error", id="e4")) == []
        assert statuses(engine.process(LogEvent("wordpress", "critical", "Fatal error", id="e5")))

    def test_frequency_in_window_then_resolves_as_window_slides(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="log_frequency",
                    pattern="timeout",
                    count=3,
                    window="1m",
                    notify_resolved=True,
                )
            ],
            clock=clock,
        )
        fired = []
        for i in range(3):
            clock.advance(10)
            fired += engine.process(LogEvent("app", "warning", f"db timeout {i}", id=f"l{i}"))
        assert statuses(fired) == ["r:firing"]
        clock.advance(45)
        assert statuses(engine.poll()) == ["r:resolved"]

    def test_new_template_once_per_template(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="new_template")], clock=clock)
        a = LogEvent("wp", "info", "x 1", template_id="t1", template="x <*>", id="a")
        b = LogEvent("wp", "info", "x 2", template_id="t1", template="x <*>", id="b")
        an = Anomaly("new_template", "wp", template_id="t2", template="y <*>", id="c")
        an_dup = Anomaly("new_template", "wp", template_id="t2", template="y <*>", id="d")
        got = [len(engine.process(e)) for e in (a, b, an, an_dup)]
        assert got == [1, 0, 1, 0]

    def test_anomaly_kinds_and_min_count(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="anomaly", kinds=["rate_spike"], min_count=5)], clock=clock)
        assert engine.process(Anomaly("error_burst", "wp", count=50, id="1")) == []
        assert engine.process(Anomaly("rate_spike", "wp", count=4, id="2")) == []
        assert statuses(engine.process(Anomaly("rate_spike", "wp", count=9, id="3")))


class TestHealthRules:
    def test_health_fail_then_ok(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="health",
                    check="disk_space",
                    statuses=["warn", "fail"],
                    notify_resolved=True,
                )
            ],
            clock=clock,
        )
        assert engine.process(HealthEvent("state_store", "fail", id="0")) == []
        assert statuses(engine.process(HealthEvent("disk_space", "warn", "90%", id="1")))
        assert engine.process(HealthEvent("disk_space", "fail", "99%", id="2")) == []
        assert statuses(engine.process(HealthEvent("disk_space", "ok", id="3"))) == ["r:resolved"]


class TestStateMachine:
    def test_for_must_hold_before_firing(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=100, **{"for": "30s"})], clock=clock
        )
        engine.process(tick("IBM", 101))
        assert engine.state("r").status == "pending"
        clock.advance(29)
        assert engine.poll() == []
        clock.advance(1)
        assert statuses(engine.poll()) == ["r:firing"]

    def test_pending_is_cancelled_when_condition_clears(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=100, **{"for": 30})], clock=clock
        )
        engine.process(tick("IBM", 101))
        clock.advance(10)
        engine.process(tick("IBM", 99))
        clock.advance(30)
        assert engine.poll() == []
        assert engine.state("r").status == "inactive"

    def test_keep_firing_for_absorbs_flapping(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="price_above",
                    symbol="IBM",
                    threshold=100,
                    keep_firing_for=60,
                    notify_resolved=True,
                )
            ],
            clock=clock,
        )
        out = engine.process(tick("IBM", 101))
        for price in (99, 101, 99, 101, 99):
            clock.advance(10)
            out += engine.process(tick("IBM", price))
        assert statuses(out) == ["r:firing"]
        clock.advance(59)
        assert engine.poll() == []
        clock.advance(1)
        assert statuses(engine.poll()) == ["r:resolved"]

    def test_once_notifies_a_single_time(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="cross_up", symbol="IBM", level=100, trigger={"mode": "once"})], clock=clock
        )
        out = []
        for price in (99, 101, 99, 101, 99, 101):
            clock.advance(60)
            out += engine.process(tick("IBM", price))
        assert len(out) == 1
        assert engine.state("r").suppressed == 2

    def test_once_sends_no_resolved_notice_for_muted_firings(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="price_above",
                    symbol="IBM",
                    threshold=100,
                    notify_resolved=True,
                    trigger={"mode": "once"},
                )
            ],
            clock=clock,
        )
        out = []
        for price in (101, 99, 101, 99, 101, 99):
            clock.advance(60)
            out += engine.process(tick("IBM", price))
        assert statuses(out) == ["r:firing", "r:resolved"]

    def test_cooldown_held_firing_is_sent_when_cooldown_ends(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=100, trigger={"cooldown": 300})],
            clock=clock,
        )
        out = engine.process(tick("IBM", 101))
        clock.advance(10)
        engine.process(tick("IBM", 99))
        clock.advance(10)
        assert engine.process(tick("IBM", 102)) == []  # held back by the cooldown
        clock.advance(280)
        later = engine.poll()
        assert statuses(out + later) == ["r:firing", "r:firing"]
        assert later[0].summary == "IBM price 102 is above 100"

    def test_reset_rearms_a_spent_once_rule(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="cross_up", symbol="IBM", level=100, trigger={"mode": "once"})], clock=clock
        )
        engine.process_many([tick("IBM", 99), tick("IBM", 101), tick("IBM", 99)])
        assert engine.states()["r"].spent
        engine.reset("r")
        assert "r" not in engine.states()
        assert len(engine.process(tick("IBM", 101))) == 1
        with pytest.raises(KeyError):
            engine.reset("nope")

    def test_every_with_cooldown(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="cross_up", symbol="IBM", level=100, trigger={"cooldown": "5m"})],
            clock=clock,
        )
        times = []
        for price in (99, 101) * 6:
            clock.advance(60)
            if engine.process(tick("IBM", price)):
                times.append(clock.now)
        assert len(times) == 2
        assert times[1] - times[0] >= 300

    def test_interval_reminds_while_firing(self, clock: FakeClock) -> None:
        engine = Engine(
            [
                rule(
                    kind="price_above",
                    symbol="IBM",
                    threshold=100,
                    trigger={"mode": "interval", "interval": "10m"},
                )
            ],
            clock=clock,
        )
        out = engine.process(tick("IBM", 101))
        for _ in range(25):
            clock.advance(60)
            out += engine.poll()
        assert [n.repeat for n in out] == [0, 1, 2]
        assert len({n.id for n in out}) == 3

    def test_schedule_in_rule_time_zone(self) -> None:
        # 2026-01-05 is a Monday. 14:00 UTC = 09:00 New York (closed), 15:00 UTC = 10:00 (open).
        sched = {"timezone": "America/New_York", "start": "09:30", "end": "16:00"}
        r = rule(kind="cross_up", symbol="IBM", level=100, schedule=sched)
        closed = datetime(2026, 1, 5, 14, 0, tzinfo=UTC).timestamp()
        opened = datetime(2026, 1, 5, 15, 0, tzinfo=UTC).timestamp()
        saturday = datetime(2026, 1, 10, 15, 0, tzinfo=UTC).timestamp()
        for start, expected in ((closed, 0), (opened, 1), (saturday, 0)):
            out = simulate([r], [tick("IBM", 99), tick("IBM", 101)], start=start)
            assert len(out) == expected

    def test_disabled_rule_never_fires(self, clock: FakeClock) -> None:
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=1, enabled=False)], clock=clock
        )
        assert engine.process(tick("IBM", 5)) == []

    def test_notification_ids_are_stable_across_engines(self, clock: FakeClock) -> None:
        rules = [rule(kind="cross_up", symbol="IBM", level=100)]
        events = [tick("IBM", 99, eid="1-0"), tick("IBM", 101, eid="2-0")]
        a = Engine(rules, clock=clock).process_many(events)
        b = Engine(rules, clock=FakeClock(0)).process_many(events)
        assert [n.id for n in a] == [n.id for n in b]

    def test_editing_a_rule_resets_its_state_and_keys(self, clock: FakeClock) -> None:
        engine = Engine([rule(kind="price_above", symbol="IBM", threshold=100)], clock=clock)
        first = engine.process(tick("IBM", 101, eid="1"))
        engine.set_rules(
            [rule(kind="price_above", symbol="IBM", threshold=100, severity="critical")]
        )
        assert engine.state("r").status == "inactive"
        engine.set_rules([rule(kind="price_above", symbol="IBM", threshold=50)])
        second = engine.process(tick("IBM", 102, eid="2"))
        assert statuses(second) == ["r:firing"]
        assert second[0].id != first[0].id

    def test_add_and_remove_rule(self, clock: FakeClock) -> None:
        engine = Engine([], clock=clock)
        engine.add_rule(rule(kind="cross_up", symbol="IBM", level=100))
        engine.process(tick("IBM", 99))
        assert len(engine.process(tick("IBM", 101))) == 1
        engine.remove_rule("r")
        engine.process(tick("IBM", 99))
        assert engine.process(tick("IBM", 101)) == []
        assert engine.rules == []

    def test_duplicate_ids_refused(self) -> None:
        with pytest.raises(ValueError, match="duplicate"):
            Engine([rule(kind="cross_up", symbol="A", level=1)] * 2)


class TestRestart:
    def test_state_survives_restart(self, store: StateStore, clock: FakeClock) -> None:
        rules = [
            rule(id="above", kind="price_above", symbol="IBM", threshold=100, notify_resolved=True),
            rule(id="cross", kind="cross_up", symbol="IBM", level=105),
            rule(id="once", kind="cross_up", symbol="IBM", level=102, trigger={"mode": "once"}),
        ]
        engine = Engine(rules, store, clock=clock)
        assert len(engine.process(tick("IBM", 103, eid="1"))) == 1  # above fires
        engine.checkpoint()
        engine.process(tick("IBM", 101, eid="2"))
        engine.process(tick("IBM", 103, eid="3"))  # once fires
        engine.checkpoint()

        again = Engine(rules, store, clock=clock)
        assert again.state("above").status == "firing"
        assert again.state("once").spent
        # Remembered last price 103: 106 crosses 105 (needs the previous price).
        assert [n.rule_id for n in again.process(tick("IBM", 106, eid="4"))] == ["cross"]
        resolved = again.process(tick("IBM", 99, eid="5"))
        assert statuses(resolved) == ["above:resolved"]
        again.process(tick("IBM", 103, eid="6"))
        assert again.state("once").suppressed == 1

    def test_move_window_survives_restart(self, store: StateStore, clock: FakeClock) -> None:
        rules = [rule(kind="move", symbol="IBM", percent=5, window="10m", direction="up")]
        engine = Engine(rules, store, clock=clock)
        engine.process(tick("IBM", 100, eid="1"))
        clock.advance(60)
        engine.process(tick("IBM", 102, eid="2"))
        engine.checkpoint()
        clock.advance(60)
        again = Engine(rules, store, clock=clock)
        fired = again.process(tick("IBM", 105, eid="3"))  # +5 % from the low before restart
        assert statuses(fired) == ["r:firing"]
        assert "moved up 5" in fired[0].summary

    def test_restored_move_window_still_expires(self, store: StateStore, clock: FakeClock) -> None:
        rules = [rule(kind="move", symbol="IBM", amount=5, window=60, direction="up")]
        engine = Engine(rules, store, clock=clock)
        engine.process(tick("IBM", 100, eid="1"))
        engine.checkpoint()
        clock.advance(120)
        assert Engine(rules, store, clock=clock).process(tick("IBM", 105, eid="2")) == []

    def test_saved_move_window_is_bounded(self, store: StateStore, clock: FakeClock) -> None:
        rules = [rule(kind="move", symbol="IBM", amount=1000, window="1d", direction="up")]
        engine = Engine(rules, store, clock=clock)
        for i in range(3000):  # a steady climb: every point stays in the min deque
            clock.advance(1)
            engine.process(tick("IBM", 100 + i / 100, eid=str(i)))
        engine.checkpoint()
        raw = store.get("alerts:engine:default:memory")
        assert raw is not None
        (window,) = json.loads(raw)["books"]["IBM"]["windows"].values()
        assert len(window["mins"]) == 1024
        assert window["mins"][0][1] == "100.0"  # the window's low is kept
        again = Engine(rules, store, clock=clock)
        assert again.process(tick("IBM", 1101, eid="x"))[0].summary.startswith("IBM moved up 1001")

    def test_checkpoint_writes_only_what_changed(self, store: StateStore, clock: FakeClock) -> None:
        rules = [
            rule(id=f"r{i}", kind="price_above", symbol="IBM", threshold=i) for i in range(1, 301)
        ]
        counting = CountingStore(store)
        engine = Engine(rules, counting, clock=clock)  # type: ignore[arg-type]
        engine.process(tick("IBM", "150.5"))  # 150 rules fire
        engine.checkpoint()
        assert counting.writes >= 150
        counting.writes = 0
        engine.process(tick("IBM", "151.5"))  # one more rule fires
        engine.checkpoint()
        assert counting.writes <= 3  # its state, the index of saved states, the memory
        again = Engine(rules, store, clock=clock)
        assert len(again.states()) == 151

    def test_outbox_receives_notifications(self, store: StateStore, clock: FakeClock) -> None:
        outbox = Outbox(store, clock=clock)
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=1, channels=["a", "b"])],
            store,
            clock=clock,
            outbox=outbox,
        )
        engine.process(tick("IBM", 2, eid="1"))
        assert sorted(e.target for e in outbox.pending()) == ["a", "b"]
        assert outbox.history()[-1]["event"] == "accepted"


class CountingStore:
    """Wraps a store and counts ``set``/``delete`` calls."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self.writes = 0

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def set(self, key: str, value: bytes, *, ttl: float | None = None) -> None:
        self.writes += 1
        self.inner.set(key, value, ttl=ttl)

    def delete(self, key: str) -> bool:
        self.writes += 1
        return self.inner.delete(key)


class FlakyStore:
    """Wraps a store; ``enqueue`` fails while ``broken`` is set."""

    def __init__(self, inner: StateStore) -> None:
        self.inner = inner
        self.broken = False

    def __getattr__(self, name: str) -> object:
        return getattr(self.inner, name)

    def enqueue(self, *args: object, **kwargs: object) -> bool:
        if self.broken:
            raise ConnectionError("store down")
        return self.inner.enqueue(*args, **kwargs)  # type: ignore[arg-type]


def test_notification_kept_when_the_store_fails(store: StateStore, clock: FakeClock) -> None:
    flaky = FlakyStore(store)
    outbox = Outbox(flaky, clock=clock)  # type: ignore[arg-type]
    engine = Engine(
        [rule(kind="cross_up", symbol="IBM", level=100, channels=["a"])], clock=clock, outbox=outbox
    )
    engine.process(tick("IBM", 99))
    flaky.broken = True
    with pytest.raises(ConnectionError):
        engine.process(tick("IBM", 101))
    flaky.broken = False
    engine.process(tick("IBM", 102))  # the kept notification goes first
    assert [e.notification.summary for e in outbox.pending()] == ["IBM crossed up 100 (last 101)"]
