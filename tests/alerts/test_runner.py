"""StreamRunner: consuming the shared stream, bad events, resume from the cursor, reloads."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from alerts import Engine, Outbox, RuleRepository, StreamRunner
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
