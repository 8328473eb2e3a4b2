"""Outbox and delivery worker: retries, Retry-After, dead letters, crashes, several engines."""

from __future__ import annotations

import asyncio
import json
import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from alerts import (
    ActionError,
    ActionNotAllowedError,
    ActionRunner,
    ChannelPermanentError,
    ChannelRateLimitedError,
    ChannelTransientError,
    CommandActionConfig,
    DeliveryWorker,
    Engine,
    Notification,
    Outbox,
    StreamRunner,
    WebhookChannel,
    WordPressActionConfig,
    WordPressVerifier,
    verify_webhook,
)
from alerts.testing import RecordingChannel
from tests.alerts.helpers import note, rule, tick

if TYPE_CHECKING:
    from statestore import StateStore
    from tests.alerts.servers import Receiver

REPO = Path(__file__).resolve().parents[2]
SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


def drain(worker: DeliveryWorker, outbox: Outbox, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while outbox.pending() and time.monotonic() < deadline:
        if not worker.run_once():
            time.sleep(0.01)


class TestSubmit:
    def test_same_notification_is_queued_once(self, store: StateStore) -> None:
        outbox = Outbox(store)
        n = note(channels=("a", "b"))
        assert outbox.submit([n]) == 2
        assert outbox.submit([n]) == 0
        assert len(outbox.pending()) == 2
        assert [e["event"] for e in outbox.history()] == ["accepted"]

    def test_notification_without_targets_goes_to_history_once(self, store: StateStore) -> None:
        outbox = Outbox(store)
        outbox.submit([note()])
        outbox.submit([note()])
        assert [e["event"] for e in outbox.history()] == ["accepted"]
        assert outbox.pending() == []


class TestWorker:
    def test_transient_failure_is_retried_then_delivered(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelTransientError("down"), ChannelTransientError("x")])
        worker = DeliveryWorker(outbox, {"a": channel}, backoff_base=0.01)
        outbox.submit([note(channels=("a",))])
        drain(worker, outbox)
        assert channel.ids == ["ntf_test"]
        assert channel.attempts == 3
        events = [e["event"] for e in outbox.history()]
        assert events == ["accepted", "retry", "retry", "delivered"]

    def test_rate_limit_pauses_the_whole_channel(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelRateLimitedError("429", 0.3)])
        other = RecordingChannel("b")
        worker = DeliveryWorker(outbox, {"a": channel, "b": other}, batch=1)
        outbox.submit([note(id="n1", channels=("a", "b")), note(id="n2", channels=("a",))])
        started = time.monotonic()
        while len(channel.sent) < 2 and time.monotonic() - started < 5:
            if not worker.run_once():
                time.sleep(0.01)
        assert time.monotonic() - started >= 0.3
        assert channel.attempts == 3  # n2 was held back, not sent into the limit
        assert sorted(channel.ids) == ["n1", "n2"]
        assert other.ids == ["n1"]

    def test_channel_ready_at_is_respected(self, store: StateStore) -> None:
        outbox = Outbox(store)

        class Throttled(RecordingChannel):
            def ready_at(self) -> float:
                return time.time() + 60

        channel = Throttled("a")
        worker = DeliveryWorker(outbox, {"a": channel})
        outbox.submit([note(channels=("a",))])
        worker.run_once()
        assert channel.attempts == 0
        (entry,) = outbox.pending()
        assert entry.available_at >= time.time() + 55

    def test_permanent_failure_is_dead_lettered(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelPermanentError("a: HTTP 404 channel_not_found")])
        worker = DeliveryWorker(outbox, {"a": channel})
        outbox.submit([note(channels=("a",))])
        worker.run_once()
        dead = outbox.dead_letters()
        assert [d.target for d in dead] == ["a"]
        assert "404" in (dead[0].reason or "")
        assert outbox.pending() == []

    def test_gives_up_after_max_attempts(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelTransientError("down")] * 5)
        worker = DeliveryWorker(outbox, {"a": channel}, max_attempts=3, backoff_base=0.001)
        outbox.submit([note(channels=("a",))])
        drain(worker, outbox)
        assert channel.attempts == 3
        assert "gave up after 3 attempts" in (outbox.dead_letters()[0].reason or "")

    def test_unknown_channel_is_dead_lettered(self, store: StateStore) -> None:
        outbox = Outbox(store)
        outbox.submit([note(channels=("gone",))])
        DeliveryWorker(outbox, {}).run_once()
        assert "not configured" in (outbox.dead_letters()[0].reason or "")

    def test_slow_channel_does_not_hold_up_the_others(self, store: StateStore) -> None:
        outbox = Outbox(store)
        arrived: dict[str, float] = {}

        class Slow(RecordingChannel):
            def send(self, notification: Notification) -> None:
                time.sleep(0.5)
                super().send(notification)
                arrived[self.name] = time.monotonic()

        class Fast(RecordingChannel):
            def send(self, notification: Notification) -> None:
                super().send(notification)
                arrived[self.name] = time.monotonic()

        worker = DeliveryWorker(outbox, {"slow": Slow("slow"), "fast": Fast("fast")})
        outbox.submit([note(channels=("slow", "fast"))])
        started = time.monotonic()
        worker.run_once()
        assert arrived["fast"] - started < 0.4 < arrived["slow"] - started

    def test_crashing_channel_is_retried_then_dead_lettered(self, store: StateStore) -> None:
        outbox = Outbox(store)

        class Buggy(RecordingChannel):
            def send(self, notification: Notification) -> None:
                self.attempts += 1
                raise RuntimeError("bug in channel")

        channel = Buggy("a")
        worker = DeliveryWorker(outbox, {"a": channel}, max_attempts=2, backoff_base=0.001)
        outbox.submit([note(channels=("a",))])
        drain(worker, outbox)
        assert channel.attempts == 2
        assert "bug in channel" in (outbox.dead_letters()[0].reason or "")

    def test_thread_start_stop(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a")
        worker = DeliveryWorker(outbox, {"a": channel}, idle_wait=0.01)
        worker.start()
        try:
            outbox.submit([note(channels=("a",))])
            deadline = time.monotonic() + 5
            while not channel.sent and time.monotonic() < deadline:
                time.sleep(0.01)
        finally:
            worker.stop()
        assert channel.ids == ["ntf_test"]

    def test_asyncio_task(self, store: StateStore) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a")
        worker = DeliveryWorker(outbox, {"a": channel}, idle_wait=0.01)

        async def scenario() -> None:
            task = asyncio.create_task(worker.arun())
            outbox.submit([note(channels=("a",))])
            for _ in range(500):
                if channel.sent:
                    break
                await asyncio.sleep(0.01)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task

        asyncio.run(scenario())
        assert channel.ids == ["ntf_test"]


class TestRequeue:
    def test_dead_letter_is_delivered_again_with_the_same_key(self, store: StateStore) -> None:
        clock = [1_000.0]
        outbox = Outbox(store, clock=lambda: clock[0])
        channel = RecordingChannel("a", [ChannelPermanentError("HTTP 404")])
        worker = DeliveryWorker(outbox, {"a": channel}, max_age=60, clock=lambda: clock[0])
        outbox.submit([note(channels=("a",))])
        worker.run_once()
        (dead,) = outbox.dead_letters()
        clock[0] += 3600  # requeued long after: its age starts again, max_age does not kill it
        new_id = outbox.requeue(dead.id)
        assert outbox.dead_letters() == []
        assert [d.id for d in outbox.dead_letters(include_requeued=True)] == [dead.id]
        assert [p.id for p in outbox.pending()] == [new_id]
        worker.run_once()
        assert channel.ids == ["ntf_test"]  # same notification id: same webhook-id
        assert outbox.pending() == []
        assert "requeued" in [e["event"] for e in outbox.history()]

    def test_requeue_twice_queues_once(self, store: StateStore) -> None:
        outbox = Outbox(store)
        outbox.submit([note(channels=("a",)), note(id="n2", channels=("a",))])
        for item in store.claim(outbox.queue, lease=30, count=2):
            store.dead(outbox.queue, item.id, reason="HTTP 404")
        assert len(outbox.requeue_all()) == 2
        assert outbox.requeue_all() == []
        with pytest.raises(KeyError):
            outbox.requeue(outbox.dead_letters(include_requeued=True)[0].id)
        assert len(outbox.pending()) == 2

    def test_unknown_id(self, store: StateStore) -> None:
        with pytest.raises(KeyError):
            Outbox(store).requeue("dlv_nope")


class TestOutageLogging:
    def test_one_warning_per_outage(
        self, store: StateStore, caplog: pytest.LogCaptureFixture
    ) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelTransientError("down")] * 4)
        worker = DeliveryWorker(outbox, {"a": channel}, backoff_base=0.001, concurrency=1)
        outbox.submit([note(id=f"n{i}", channels=("a",)) for i in range(3)])
        with caplog.at_level(logging.INFO, logger="alerts"):
            drain(worker, outbox)
            channel.fail_next(ChannelTransientError("down again"))
            outbox.submit([note(id="n9", channels=("a",))])
            drain(worker, outbox)
        warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
        assert warnings == ["channel down; retrying with backoff", "channel back up"] * 2
        assert sorted(channel.ids) == ["n0", "n1", "n2", "n9"]


class TestCrash:
    def _child(self, state_url: str, url: str, mode: str) -> int:
        done = subprocess.run(
            [sys.executable, "-m", "tests.alerts.crash_child", state_url, url, mode],
            cwd=REPO,
            timeout=60,
            capture_output=True,
            check=False,
        )
        return done.returncode

    def test_crash_between_accept_and_deliver(
        self, tmp_path: Path, store: StateStore, receiver: Receiver
    ) -> None:
        url = f"{receiver.url}/hook"
        assert self._child(f"sqlite://{tmp_path}/state", url, "accept") == -9
        assert receiver.requests == []
        outbox = Outbox(store)
        assert len(outbox.pending()) == 1
        worker = DeliveryWorker(outbox, {"hook": WebhookChannel("hook", url, SECRET)})
        drain(worker, outbox)
        assert len(receiver.requests) == 1
        verify_webhook(SECRET, receiver.requests[0].headers, receiver.requests[0].body)

    def test_crash_between_send_and_ack_redelivers_same_id(
        self, tmp_path: Path, store: StateStore, receiver: Receiver
    ) -> None:
        url = f"{receiver.url}/hook"
        outbox = Outbox(store)
        outbox.submit([note(channels=("hook",))])
        assert self._child(f"sqlite://{tmp_path}/state", url, "deliver") == -9
        assert len(receiver.requests) == 1
        time.sleep(0.6)  # the dead worker's lease expires
        worker = DeliveryWorker(outbox, {"hook": WebhookChannel("hook", url, SECRET)})
        drain(worker, outbox)
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert ids == ["ntf_test", "ntf_test"]  # the receiver de-duplicates on webhook-id
        assert outbox.pending() == []


class TestSeveralEngines:
    def test_two_engines_on_one_store_deliver_each_notification_once(
        self, store: StateStore, receiver: Receiver
    ) -> None:
        rules = [
            rule(id="up", kind="cross_up", symbol="IBM", level=100, channels=["hook"]),
            rule(id="dn", kind="cross_down", symbol="IBM", level=100, channels=["hook"]),
        ]
        for i in range(40):
            price = 99 if i % 2 else 101
            payload = {"type": "tick", "symbol": "IBM", "price": str(price)}
            store.publish("ev", json.dumps(payload).encode())
        runners: list[StreamRunner] = []
        workers: list[DeliveryWorker] = []
        for name in ("a", "b"):
            outbox = Outbox(store)
            engine = Engine(rules, store, name=name, outbox=outbox)
            runners.append(StreamRunner(engine, store, stream="ev", from_start=True, block=0.05))
            channel = WebhookChannel("hook", f"{receiver.url}/hook", SECRET)
            workers.append(DeliveryWorker(outbox, {"hook": channel}, idle_wait=0.01))
        for runner in runners:
            runner.start()
        for worker in workers:
            worker.start()
        deadline = time.monotonic() + 15
        while len(receiver.requests) < 39 and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(0.3)
        for runner in runners:
            runner.stop()
        for worker in workers:
            worker.stop()
        ids = [r.headers["webhook-id"] for r in receiver.requests]
        assert len(ids) == 39  # 39 crossings in 40 alternating ticks
        assert len(set(ids)) == 39
        assert sum(r.processed for r in runners) == 80


class TestActions:
    def test_dry_run_is_audited(self, caplog: pytest.LogCaptureFixture) -> None:
        runner = ActionRunner(
            {"purge": CommandActionConfig(type="command", argv=["/bin/true"], dry_run=True)},
            allowed_commands=["/bin/true"],
        )
        with caplog.at_level(logging.INFO, logger="alerts.audit"):
            result = runner.run("purge", note())
        assert result.outcome == "dry-run"
        record = caplog.records[-1]
        assert record.__dict__["action"] == "purge"
        assert record.__dict__["dry_run"] is True

    def test_allowed_command_runs(self) -> None:
        runner = ActionRunner(
            {"t": CommandActionConfig(type="command", argv=[sys.executable, "-c", "pass"])},
            allowed_commands=[sys.executable],
        )
        assert runner.run("t", note()).outcome == "ok"

    def test_command_not_on_allow_list(self) -> None:
        runner = ActionRunner({"t": CommandActionConfig(type="command", argv=["/bin/rm", "-rf"])})
        with pytest.raises(ActionNotAllowedError):
            runner.run("t", note())

    def test_timeout_and_failure(self) -> None:
        runner = ActionRunner(
            {
                "slow": CommandActionConfig(
                    type="command",
                    argv=[sys.executable, "-c", "import time; time.sleep(5)"],
                    timeout=0.2,
                ),
                "bad": CommandActionConfig(
                    type="command", argv=[sys.executable, "-c", "raise SystemExit(3)"]
                ),
            },
            allowed_commands=[sys.executable],
        )
        with pytest.raises(ActionError, match="timed out"):
            runner.run("slow", note())
        with pytest.raises(ActionError, match="status 3"):
            runner.run("bad", note())

    def test_message_content_never_reaches_the_command(self) -> None:
        script = (
            "import os,sys; sys.exit(1 if 'rm -rf' in ' '.join(sys.argv)+str(os.environ) else 0)"
        )
        runner = ActionRunner(
            {"t": CommandActionConfig(type="command", argv=[sys.executable, "-c", script])},
            allowed_commands=[sys.executable],
        )
        assert runner.run("t", note("; rm -rf / $(rm -rf)")).outcome == "ok"

    def test_wordpress_action_is_signed(self, receiver: Receiver) -> None:
        runner = ActionRunner(
            {
                "flush": WordPressActionConfig(
                    type="wordpress",
                    url=receiver.url,
                    secret=SecretStr("s3cret"),
                    action="clear_cache",
                    params={"group": "quotes"},
                )
            }
        )
        assert runner.run("flush", note()).outcome == "ok"
        request = receiver.requests[0]
        WordPressVerifier("s3cret").verify(request.headers, request.body)
        assert request.json()["action"] == "clear_cache"
        assert request.json()["params"] == {"group": "quotes"}

    def test_worker_runs_actions_from_outbox(self, store: StateStore) -> None:
        outbox = Outbox(store)
        runner = ActionRunner(
            {"t": CommandActionConfig(type="command", argv=[sys.executable, "-c", "pass"])},
            allowed_commands=[sys.executable],
        )
        engine = Engine(
            [rule(kind="price_above", symbol="IBM", threshold=1, actions=["t"])],
            store,
            outbox=outbox,
        )
        engine.process(tick("IBM", 2))
        worker = DeliveryWorker(outbox, {}, runner)
        drain(worker, outbox)
        history = [e for e in outbox.history() if e["event"] == "delivered"]
        assert history[0]["kind"] == "action"


def test_worker_survives_crashing_run_once(store: StateStore) -> None:
    outbox = Outbox(store)
    worker = DeliveryWorker(outbox, {})
    stop = threading.Event()
    calls = []

    def boom() -> int:
        calls.append(1)
        if len(calls) > 2:
            stop.set()
        raise RuntimeError("store hiccup")

    worker.run_once = boom  # type: ignore[method-assign]
    worker.idle_wait = 0.001
    worker.run(stop)
    assert len(calls) == 3
