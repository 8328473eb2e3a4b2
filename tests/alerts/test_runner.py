"""StreamRunner: consuming the shared stream, bad events, resume from the cursor, reloads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from alerts import Engine, Outbox, RuleRepository, StreamRunner, engine_on_store_rules
from statestore import StateStoreUnavailableError
from tests.alerts.helpers import rule

if TYPE_CHECKING:
    from statestore import StateStore


def publish(store: StateStore, *prices: int, symbol: str = "IBM") -> None:
    for price in prices:
        payload = {"type": "tick", "symbol": symbol, "price": str(price)}
        store.publish("ev", json.dumps(payload).encode())


class TestStreamRunner:
    def test_bad_events_are_skipped(self, store: StateStore) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], store)
        runner = StreamRunner(engine, store, stream="ev", from_start=True, block=0)
        publish(store, 99)
        store.publish("ev", b"{not json")
        store.publish("ev", b'{"type":"tick","symbol":"IBM","price":"oops"}')
        publish(store, 101)
        runner.run_once()
        assert (runner.processed, runner.rejected) == (2, 2)
        assert engine.state("r").fired == 1

    def test_resumes_after_the_checkpointed_cursor(self, store: StateStore) -> None:
        rules = [rule(kind="cross_up", symbol="IBM", level=100, channels=["x"])]
        outbox = Outbox(store)
        publish(store, 99, 101)
        first = StreamRunner(
            Engine(rules, store, outbox=outbox), store, stream="ev", from_start=True, block=0
        )
        first.run_once()
        publish(store, 99, 101)
        second = StreamRunner(Engine(rules, store, outbox=outbox), store, stream="ev", block=0)
        second.run_once()
        assert second.processed == 2  # only the new events
        assert len(outbox.pending()) == 2

    def test_without_cursor_starts_at_the_end(self, store: StateStore) -> None:
        publish(store, 99, 101)
        runner = StreamRunner(Engine([], store), store, stream="ev", block=0)
        assert runner.run_once() == 0

    def test_reload_picks_up_rules_from_the_repository(self, store: StateStore) -> None:
        repo = RuleRepository(store)
        engine = Engine([], store)

        def reload() -> None:
            engine.set_rules(repo.list())

        runner = StreamRunner(
            engine, store, stream="ev", from_start=True, block=0, reload=reload, reload_every=0
        )
        publish(store, 99)
        runner.run_once()
        repo.create({"id": "new", "kind": "cross_up", "symbol": "IBM", "level": 100})
        runner.run_once()
        publish(store, 101)
        runner.run_once()
        assert engine.state("new").fired == 1


class TestRulesMarkers:
    """Rules edited through the repository apply at their marker's position in the stream."""

    def _engine(self, store: StateStore, outbox: Outbox, repo: RuleRepository, name: str) -> Any:
        engine = Engine([], store, name=name, outbox=outbox)

        def on_rules(version: int) -> None:
            _, rules = repo.at_version(version)
            engine.set_rules(rules)
            engine.rules_version = version

        return StreamRunner(engine, store, stream="ev", from_start=True, block=0, on_rules=on_rules)

    def test_repository_publishes_a_marker_per_change(self, store: StateStore) -> None:
        repo = RuleRepository(store, stream="ev")
        repo.create({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 100})
        repo.update({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 101})
        repo.delete("a")
        markers = [json.loads(p) for _, p in store.read("ev", None)]
        assert markers == [{"type": "rules", "version": v} for v in (1, 2, 3)]
        assert [r.id for r in repo.at_version(1)[1]] == ["a"]
        assert repo.at_version(3)[1] == []

    def test_two_engines_reading_at_different_moments_agree(self, store: StateStore) -> None:
        outbox = Outbox(store)
        repo = RuleRepository(store, stream="ev")
        fast = self._engine(store, outbox, repo, "fast")
        slow = self._engine(store, outbox, repo, "slow")
        publish(store, 99)
        fast.run_once()
        repo.create(
            {"id": "up", "kind": "cross_up", "symbol": "IBM", "level": 100, "channels": ["x"]}
        )
        publish(store, 101)
        fast.run_once()  # saw the marker before the crossing: fires on tick 101
        # The slow engine reads everything now: before markers it would have loaded the rule
        # after the crossing (a different firing, delivered twice).
        slow.run_once()
        assert fast.engine.state("up").fired == slow.engine.state("up").fired == 1
        assert len(outbox.pending()) == 1

    def test_a_rule_already_true_fires_at_its_marker_whatever_the_batches(
        self, store: StateStore
    ) -> None:
        # Found by the property test: IBM at 98, "above 97" added, then 95. An engine that
        # polled between the marker and the 95 fired; one that read all three in one batch
        # did not.
        outbox = Outbox(store)
        repo = RuleRepository(store, stream="ev")
        fast = self._engine(store, outbox, repo, "fast")
        slow = self._engine(store, outbox, repo, "slow")
        publish(store, 98)
        repo.create(
            {"id": "a", "kind": "price_above", "symbol": "IBM", "threshold": 97, "channels": ["x"]}
        )
        fast.run_once()
        publish(store, 95)
        fast.run_once()
        slow.run_once()
        assert fast.engine.state("a").fired == slow.engine.state("a").fired == 1
        assert len(outbox.pending()) == 1

    def test_a_later_edit_does_not_leak_into_earlier_events(self, store: StateStore) -> None:
        repo = RuleRepository(store, stream="ev")
        up = {"id": "up", "kind": "cross_up", "symbol": "IBM", "channels": ["x"]}
        repo.create({**up, "level": 100})
        publish(store, 99, 101)
        repo.update({**up, "level": 200})
        outbox = Outbox(store)
        runner = self._engine(store, outbox, repo, "late")
        runner.run_once()  # reads marker v1, two ticks, marker v2 in one go
        # The ticks were judged by version 1 (level 100), though version 2 existed already.
        assert [e.notification.summary for e in outbox.pending()] == [
            "IBM crossed up 100 (last 101)"
        ]
        assert runner.engine.rules_version == 2
        assert [r.level for r in runner.engine.rules] == [200]

    def test_markers_are_skipped_without_a_handler(self, store: StateStore) -> None:
        RuleRepository(store, stream="ev").create(
            {"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 100}
        )
        runner = StreamRunner(Engine([], store), store, stream="ev", from_start=True, block=0)
        runner.run_once()
        assert (runner.processed, runner.rejected) == (0, 0)


class TestPoisonEvents:
    def test_an_event_that_used_to_raise_does_not_stall_the_stream(self, store: StateStore) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], store)
        runner = StreamRunner(engine, store, stream="ev", from_start=True, block=0)
        publish(store, 99)
        store.publish("ev", b'{"type":"tick","symbol":"IBM","price":"1","timestamp":1e20}')
        store.publish("ev", b'{"type":"anomaly","kind":"rate_spike","samples":5}')
        publish(store, 101)
        runner.run_once()  # raised OverflowError / TypeError before, and re-read it forever
        assert (runner.processed, runner.rejected) == (2, 2)
        assert engine.state("r").fired == 1

    def test_an_engine_failure_skips_that_event_only(
        self, store: StateStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], store)
        real = engine.process
        seen: list[str] = []

        def flaky(event: Any) -> Any:
            seen.append(event.id)
            if len(seen) == 2:
                raise ZeroDivisionError("a bug")
            return real(event)

        monkeypatch.setattr(engine, "process", flaky)
        runner = StreamRunner(engine, store, stream="ev", from_start=True, block=0)
        publish(store, 99, 50, 101)
        runner.run_once()
        assert (runner.processed, runner.rejected) == (2, 1)
        assert engine.cursor == store.last_id("ev")
        assert engine.state("r").fired == 1

    def test_store_failure_in_the_engine_is_retried_not_skipped(
        self, store: StateStore, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        engine = Engine([rule(kind="cross_up", symbol="IBM", level=100)], store)
        real = engine.process
        failures = [StateStoreUnavailableError("down")]

        def flaky(event: Any) -> Any:
            if failures:
                raise failures.pop()
            return real(event)

        monkeypatch.setattr(engine, "process", flaky)
        runner = StreamRunner(engine, store, stream="ev", from_start=True, block=0)
        publish(store, 99, 101)
        with pytest.raises(StateStoreUnavailableError):
            runner.run_once()
        runner.run_once()
        assert (runner.processed, runner.rejected) == (2, 0)
        assert engine.state("r").fired == 1


class TestEngineOnStoreRules:
    def test_restart_replays_with_the_rules_it_had(self, store: StateStore) -> None:
        repo = RuleRepository(store, stream="ev")
        up = {"id": "up", "kind": "cross_up", "symbol": "IBM", "channels": ["x"]}
        repo.create({**up, "level": 100})
        outbox = Outbox(store)
        engine, on_rules = engine_on_store_rules(
            store, repo, name="e", outbox=outbox, stream="ev", from_start=True
        )
        runner = StreamRunner(engine, store, stream="ev", block=0, on_rules=on_rules)
        publish(store, 99)
        runner.run_once()
        engine.checkpoint()
        publish(store, 101)  # the engine dies before reading this crossing...
        repo.update({**up, "level": 200})  # ...and the rule changes after it
        again, on_rules = engine_on_store_rules(store, repo, name="e", outbox=outbox, stream="ev")
        assert again.rules_version == 1
        StreamRunner(again, store, stream="ev", block=0, on_rules=on_rules).run_once()
        assert [e.notification.summary for e in outbox.pending()] == [
            "IBM crossed up 100 (last 101)"
        ]
        assert again.rules_version == 2

    def test_file_rules_win_and_fresh_engine_starts_at_the_tail(self, store: StateStore) -> None:
        repo = RuleRepository(store, stream="ev")
        repo.create({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 100})
        repo.create({"id": "b", "kind": "cross_up", "symbol": "IBM", "level": 100})
        fixed = [rule(id="a", kind="cross_up", symbol="IBM", level=5)]
        engine, _ = engine_on_store_rules(store, repo, fixed, stream="ev")
        levels = {r.id: getattr(r, "level", None) for r in engine.rules}
        assert levels == {"a": 5, "b": 100}
        assert engine.cursor == store.last_id("ev")
        assert engine.rules_version == 2
