"""Property tests of rule semantics and of delivery under failures and restarts."""

from __future__ import annotations

import itertools
import json
import os
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from alerts import (
    ChannelRateLimitedError,
    ChannelTransientError,
    DeliveryWorker,
    Engine,
    Outbox,
    Rule,
    RuleRepository,
    StreamRunner,
    Tick,
    engine_on_store_rules,
    parse_event,
)
from alerts.testing import RecordingChannel
from statestore import open_store
from tests.alerts.helpers import rule
from tests.alerts.servers import FakeClock
from tests.alerts.strategies import event_dicts, gaps, levels, price_paths, prices, rule_dicts

if TYPE_CHECKING:
    from decimal import Decimal

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def side(price: Decimal, level: Decimal) -> int:
    """+1 at or above the level, -1 below: a crossing is a change of this sign."""
    return 1 if price >= level else -1


class TestIndexedEvaluationMatchesBruteForce:
    @FAST
    @given(path=price_paths, lvls=st.lists(levels, min_size=1, max_size=8))
    def test_crossing_fires_exactly_at_sign_changes(
        self, path: list[Decimal], lvls: list[Decimal]
    ) -> None:
        rules = []
        for i, level in enumerate(lvls):
            rules.append(rule(id=f"u{i}", kind="cross_up", symbol="S", level=level))
            rules.append(rule(id=f"d{i}", kind="cross_down", symbol="S", level=level))
        engine = Engine(rules, clock=FakeClock(0))
        for n, price in enumerate(path):
            fired = {x.rule_id for x in engine.process(Tick("S", price, id=str(n)))}
            expected = set()
            if n:
                for i, level in enumerate(lvls):
                    before, after = side(path[n - 1], level), side(price, level)
                    if before < after:
                        expected.add(f"u{i}")
                    elif before > after:
                        expected.add(f"d{i}")
            assert fired == expected

    @FAST
    @given(
        path=price_paths,
        thresholds=st.lists(prices, min_size=1, max_size=8),
        bands=st.lists(st.tuples(prices, prices).filter(lambda b: b[0] < b[1]), max_size=4),
    )
    def test_level_and_band_rules_match_a_plain_loop(
        self,
        path: list[Decimal],
        thresholds: list[Decimal],
        bands: list[tuple[Decimal, Decimal]],
    ) -> None:
        rules = []
        for i, t in enumerate(thresholds):
            rules.append(rule(id=f"a{i}", kind="price_above", symbol="S", threshold=t))
            rules.append(rule(id=f"b{i}", kind="price_below", symbol="S", threshold=t))
        for i, (lo, hi) in enumerate(bands):
            rules.append(rule(id=f"in{i}", kind="channel_enter", symbol="S", lower=lo, upper=hi))
            rules.append(rule(id=f"out{i}", kind="channel_exit", symbol="S", lower=lo, upper=hi))
        engine = Engine(rules, clock=FakeClock(0))
        for n, price in enumerate(path):
            fired = {x.rule_id for x in engine.process(Tick("S", price, id=str(n)))}
            for i, t in enumerate(thresholds):
                assert engine.state(f"a{i}").cond == (price > t)
                assert engine.state(f"b{i}").cond == (price < t)
            for i, (lo, hi) in enumerate(bands):
                if n == 0:
                    continue
                was = lo <= path[n - 1] <= hi
                now = lo <= price <= hi
                assert (f"in{i}" in fired) == (now and not was)
                assert (f"out{i}" in fired) == (was and not now)


class TestCooldown:
    @FAST
    @given(
        steps=st.lists(st.tuples(gaps, prices), min_size=1, max_size=50),
        cooldown=st.floats(min_value=0, max_value=600),
        level=levels,
    )
    def test_cooldown_never_violated(
        self, steps: list[tuple[float, Decimal]], cooldown: float, level: Decimal
    ) -> None:
        clock = FakeClock(0)
        rules = [
            rule(id="c", kind="cross_up", symbol="S", level=level, trigger={"cooldown": cooldown}),
            rule(
                id="p",
                kind="price_above",
                symbol="S",
                threshold=level,
                trigger={"cooldown": cooldown},
            ),
        ]
        engine = Engine(rules, clock=clock)
        sent: dict[str, list[float]] = {"c": [], "p": []}
        for n, (gap, price) in enumerate(steps):
            clock.advance(gap)
            for x in engine.process(Tick("S", price, id=str(n))) + engine.poll():
                sent[x.rule_id].append(clock.now)
        for times in sent.values():
            assert all(b - a >= cooldown for a, b in itertools.pairwise(times))


def _reference(rules: list[Rule], events: list[tuple[str, bytes]]) -> set[str]:
    clock = FakeClock(0)
    engine = Engine(rules, clock=clock)
    ids: set[str] = set()
    for n, (eid, payload) in enumerate(events):
        clock.now = float(n)
        ids.update(x.id for x in engine.process(parse_event(payload, eid)))
    return ids


class TestNothingLostNothingDoubled:
    @settings(max_examples=12, deadline=None, suppress_health_check=list(HealthCheck))
    @given(
        path=st.lists(prices, min_size=2, max_size=25),
        crash_after=st.sets(st.integers(min_value=0, max_value=24), max_size=4),
        checkpoint_after=st.sets(st.integers(min_value=0, max_value=24), max_size=6),
        failures=st.lists(st.sampled_from(["ok", "transient", "429", "abandon"]), max_size=30),
    )
    def test_random_failures_and_restarts(
        self,
        path: list[Decimal],
        crash_after: set[int],
        checkpoint_after: set[int],
        failures: list[str],
    ) -> None:
        folder = Path(tempfile.mkdtemp(prefix="alerts-prop-"))
        store = open_store(f"sqlite://{folder}/state")
        try:
            rules = [
                rule(id="up", kind="cross_up", symbol="S", level=50, channels=["rec"]),
                rule(
                    id="hi",
                    kind="price_above",
                    symbol="S",
                    threshold=51,
                    channels=["rec"],
                    notify_resolved=True,
                ),
            ]
            for price in path:
                store.publish(
                    "ev", json.dumps({"type": "tick", "symbol": "S", "price": str(price)}).encode()
                )
            events = store.read("ev", None, count=1000)
            expected = _reference(rules, events)

            # Engine side: crash (drop without checkpoint) at random points, restart, replay.
            clock = FakeClock(0)
            outbox = Outbox(store)
            engine = Engine(rules, store, clock=clock, outbox=outbox)
            n = 0
            while True:
                batch = store.read("ev", engine.cursor, count=1)
                if not batch:
                    break
                eid, payload = batch[0]
                index = next(i for i, (e, _) in enumerate(events) if e == eid)
                clock.now = float(index)
                engine.process(parse_event(payload, eid))
                engine.cursor = eid
                if index in checkpoint_after:
                    engine.checkpoint()
                if index in crash_after and n < 10:
                    n += 1
                    engine = Engine(rules, store, clock=clock, outbox=outbox)
            # Delivery side: random failures, abandoned leases (crash between claim and send).
            channel = RecordingChannel("rec")
            worker = DeliveryWorker(
                outbox, {"rec": channel}, lease=0.05, backoff_base=0.001, backoff_cap=0.01
            )
            plan = list(failures)
            deadline = time.monotonic() + 20
            while (outbox.pending() or plan) and time.monotonic() < deadline:
                step = plan.pop(0) if plan else "ok"
                if step == "transient":
                    channel.fail_next(ChannelTransientError("down"))
                elif step == "429":
                    channel.fail_next(ChannelRateLimitedError("slow down", 0.001))
                elif step == "abandon":
                    store.claim(outbox.queue, lease=0.05, count=1)  # a worker dies holding it
                    time.sleep(0.06)
                    continue
                if not worker.run_once():
                    time.sleep(0.005)
            assert outbox.pending() == []
            assert outbox.dead_letters() == []
            assert sorted(channel.ids) == sorted(expected)  # every one, once
        finally:
            store.close()


class TestPendingAndHysteresis:
    @FAST
    @given(
        steps=st.lists(st.tuples(gaps, prices), min_size=1, max_size=40),
        hold=st.sampled_from([0.0, 30.0, 90.0]),
        keep=st.sampled_from([0.0, 45.0]),
        threshold=levels,
    )
    def test_fires_only_after_holding_and_alternates_with_resolved(
        self,
        steps: list[tuple[float, Decimal]],
        hold: float,
        keep: float,
        threshold: Decimal,
    ) -> None:
        clock = FakeClock(0)
        r = rule(
            kind="price_above",
            symbol="S",
            threshold=threshold,
            notify_resolved=True,
            keep_firing_for=keep,
            **{"for": hold},
        )
        engine = Engine([r], clock=clock)
        seen: list[tuple[float, bool]] = []  # (time, condition) of each observation
        notes: list[tuple[float, str, int]] = []  # (time, status, observations so far)
        for n, (gap, price) in enumerate(steps):
            clock.advance(gap)
            seen.append((clock.now, price > threshold))
            for x in engine.process(Tick("S", price, id=str(n))) + engine.poll():
                notes.append((clock.now, x.status, len(seen)))
        kinds = [k for _, k, _ in notes]
        assert kinds == ["firing", "resolved"] * (len(kinds) // 2) + ["firing"] * (len(kinds) % 2)
        for at, kind, count in notes:
            if kind != "firing":
                continue
            # The condition held at every observation of the last `hold` seconds, and the run
            # of true observations began at least `hold` seconds ago.
            observed = seen[:count]
            assert observed[-1][1]  # it holds now
            run_start = at
            for t, cond in reversed(observed):
                if not cond:
                    break
                run_start = t
            assert at - run_start >= hold


class TestAnyRulesAnyEvents:
    @settings(
        max_examples=int(os.environ.get("ALERTS_FUZZ_EXAMPLES", "40")),
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow],
    )
    @given(
        rules=st.lists(rule_dicts, min_size=1, max_size=8),
        events=st.lists(st.tuples(gaps, event_dicts), max_size=40),
    )
    def test_never_crashes_never_repeats_an_id_and_keeps_cooldowns(
        self, rules: list[dict[str, object]], events: list[tuple[float, dict[str, object]]]
    ) -> None:
        built = [rule(id=f"r{i}", **data) for i, data in enumerate(rules)]
        clock = FakeClock(1_767_225_600.0)
        engine = Engine(built, clock=clock)
        ids: set[str] = set()
        last_firing: dict[str, float] = {}
        for n, (gap, payload) in enumerate(events):
            clock.advance(gap)
            for x in engine.process(parse_event(payload, f"{n}-0")) + engine.poll():
                assert x.id not in ids
                ids.add(x.id)
                if x.status == "firing" and x.repeat == 0:
                    cooldown = next(r for r in built if r.id == x.rule_id).trigger.cooldown
                    if x.rule_id in last_firing:
                        assert clock.now - last_firing[x.rule_id] >= cooldown
                    last_firing[x.rule_id] = clock.now
            if n == len(events) // 2:
                engine.set_rules(built[::-1])  # same rules, new order: states are kept


_steps = st.lists(
    st.one_of(
        st.tuples(st.just("tick"), st.integers(min_value=95, max_value=105)),
        st.tuples(st.just("put"), st.integers(min_value=97, max_value=103)),
        st.tuples(st.just("delete"), st.just(0)),
        st.tuples(st.just("read"), st.sampled_from(["a", "b"])),
    ),
    max_size=30,
)


class TestRulesMarkers:
    @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
    @given(steps=_steps)
    def test_engines_reading_at_any_moments_send_the_same_notifications(
        self, steps: list[tuple[str, int]]
    ) -> None:
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(f"sqlite://{folder}/state")
            try:
                repo = RuleRepository(store, stream="ev")
                runners = {}
                for name in ("a", "b"):
                    engine, on_rules = engine_on_store_rules(
                        store,
                        repo,
                        name=name,
                        outbox=Outbox(store, queue=f"q{name}"),
                        stream="ev",
                        from_start=True,
                    )
                    runners[name] = StreamRunner(
                        engine, store, stream="ev", block=0, on_rules=on_rules
                    )
                for op, value in steps:
                    if op == "tick":
                        payload = {"type": "tick", "symbol": "IBM", "price": str(value)}
                        store.publish("ev", json.dumps(payload).encode())
                    elif op == "put":
                        repo.put(
                            rule(
                                id="r",
                                kind="price_above",
                                symbol="IBM",
                                threshold=value,
                                channels=["x"],
                                notify_resolved=True,
                            )
                        )
                    elif op == "delete" and repo.version() and "r" in {r.id for r in repo.list()}:
                        repo.delete("r")
                    elif op == "read":
                        runners[str(value)].run_once()
                for runner in runners.values():
                    while runner.run_once():
                        pass
                sent = {
                    name: sorted(
                        e.notification.id for e in Outbox(store, queue=f"q{name}").pending()
                    )
                    for name in runners
                }
                assert sent["a"] == sent["b"]
            finally:
                store.close()
