"""What the bridge runs behind its routes, started and stopped in the app's lifespan."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import TYPE_CHECKING, Any

import logkit
from bridge import _metrics
from bridge._alerting import Alerting
from bridge._logpipe import QUEUE as LOG_QUEUE
from bridge._logpipe import LogPipeline, enqueue_batch
from bridge._schemas import CheckPublic
from bridge._streaming import RuleSymbolStreamer
from marketdata import AsyncMarketData
from statestore import AsyncStateStore, LockTimeoutError, StateStore, open_store

if TYPE_CHECKING:
    from collections.abc import Coroutine

    from bridge._schemas import LogBatchCreate
    from bridge._settings import Settings

logger = logging.getLogger(__name__)

EVENTS_STREAM = "switchyard:events"
HEALTH_LOCK = "bridge:health:publisher"
HEALTH_EVERY = 60.0


class Services:
    """The shared state store and the package clients, one set per worker process.

    Args:
        settings: the bridge settings.
        store: the shared state store (owned: closed by `aclose`).
        marketdata: the worker's market-data client (owned).
        alerting: rules, engine, outbox and delivery worker (owned).
    """

    def __init__(
        self,
        settings: Settings,
        store: StateStore,
        marketdata: AsyncMarketData,
        alerting: Alerting,
    ) -> None:
        self.settings = settings
        self.store = store
        self.astore = AsyncStateStore(store)
        self.marketdata = marketdata
        self.alerting = alerting
        self.logs = LogPipeline(store, min_event_level=settings.log_events_level)
        self._log_depth = 0
        self._tasks: list[asyncio.Task[None]] = []

    @classmethod
    async def start(cls, settings: Settings) -> Services:
        """Open the state store, the clients, and start the background work.

        Args:
            settings: the bridge settings.

        Returns:
            The running services.
        """
        url = settings.state_url.get_secret_value() if settings.state_url else None
        store = (
            await asyncio.to_thread(open_store, url) if url else await asyncio.to_thread(open_store)
        )
        try:
            # One client per worker: its in-process cache and coalescing serve every request.
            marketdata = await asyncio.to_thread(AsyncMarketData, store=store)
            alerting = await asyncio.to_thread(
                Alerting,
                store,
                rules_file=settings.alerts_rules,
                dry_run_actions=settings.alerts_dry_run_actions,
            )
        except BaseException:
            store.close()
            raise
        services = cls(settings, store, marketdata, alerting)
        alerting.start()
        services.spawn(services._log_loop(), "bridge-logs")
        services.spawn(services._health_loop(), "bridge-health")
        if settings.stream_rule_symbols:
            streamer = RuleSymbolStreamer(marketdata, services.astore, alerting.repository)
            services.spawn(streamer.run(), "bridge-streamer")
        return services

    def spawn(self, coro: Coroutine[Any, Any, None], name: str) -> None:
        """Run ``coro`` in the background until `aclose`; a crash is logged, not raised."""
        task: asyncio.Task[None] = asyncio.create_task(coro, name=name)
        task.add_done_callback(self._on_task_done)
        self._tasks.append(task)

    @staticmethod
    def _on_task_done(task: asyncio.Task[None]) -> None:
        if not task.cancelled() and task.exception() is not None:
            logger.error(
                "background task stopped",
                exc_info=task.exception(),
                extra={"task": task.get_name()},
            )

    # ------------------------------------------------------------------ events

    async def publish_event(self, event: dict[str, Any]) -> str:
        """Publish one event to the shared stream ``switchyard:events``.

        Args:
            event: a JSON-serialisable mapping with a ``type``.

        Returns:
            The stream id.
        """
        payload = json.dumps(event, separators=(",", ":"), default=str).encode()
        stream_id = await self.astore.publish(EVENTS_STREAM, payload)
        _metrics.EVENTS_PUBLISHED.labels(str(event.get("type", "unknown"))).inc()
        return stream_id

    # ------------------------------------------------------------------ logs

    async def logs_accept(self, batch: LogBatchCreate) -> bool:
        """Queue a posted batch durably; False when the queue is over its bound."""
        if self._log_depth >= self.settings.log_queue_size:
            _metrics.LOG_DROPPED.inc()
            return False
        data = batch.model_dump(mode="json")
        data["request_id"] = logkit.get_request_id()
        await asyncio.to_thread(enqueue_batch, self.store, data)
        self._log_depth += 1
        _metrics.LOG_LINES.labels(batch.source).inc(len(batch.lines) + len(batch.events))
        return True

    async def logs_report(self) -> dict[str, Any]:
        """The analyser's latest report, as saved in the store."""
        return await asyncio.to_thread(self.logs.report)

    async def _log_loop(self) -> None:
        while True:
            try:
                processed = await asyncio.to_thread(self.logs.run_once)
                if processed:
                    self._log_depth = len(await self.astore.pending(LOG_QUEUE))
                else:
                    self._log_depth = 0
            except Exception:  # the store may be briefly unavailable; keep going
                logger.warning("log pipeline error", exc_info=True)
                processed = 0
                await asyncio.sleep(1.0)
            await asyncio.sleep(0.02 if processed else 0.25)

    # ------------------------------------------------------------------ health

    def _run_health(self) -> list[CheckPublic]:
        home = self.settings.home
        checks: list[Any] = [
            lambda: logkit.check_disk_space(home),
            lambda: logkit.check_path(home, name="home"),
            lambda: logkit.check_log_file(home / "logs" / "bridge.log"),
        ]
        if self.settings.token is None:
            checks.append(
                lambda: logkit.check_path(
                    self.settings.token_file, name="token_file", writable=False, private=True
                )
            )
        report = logkit.HealthChecker(checks).run()
        return [
            CheckPublic(name=check.name, status=check.status, detail=check.detail)
            for check in report.checks
        ]

    async def health_checks(self) -> list[CheckPublic]:
        """Run every health check; none raises (a failing check is reported as ``fail``)."""
        store_check = await self._check_state_store()
        try:
            others = await asyncio.to_thread(self._run_health)
        except Exception as exc:  # report, never raise, from a health check
            others = [CheckPublic(name="health", status="fail", detail=type(exc).__name__)]
        return [store_check, *others]

    async def _check_state_store(self) -> CheckPublic:
        key = f"bridge:health:{os.getpid()}"
        begin = time.perf_counter()
        try:
            await self.astore.set(key, b"1", ttl=60)
            value = await self.astore.get(key)
        except Exception as exc:  # the check reports every failure, whatever its type
            return CheckPublic(name="state_store", status="fail", detail=type(exc).__name__)
        if value != b"1":
            return CheckPublic(name="state_store", status="fail", detail="read back mismatch")
        took = (time.perf_counter() - begin) * 1000
        return CheckPublic(name="state_store", status="ok", detail=f"round trip {took:.1f} ms")

    async def _health_loop(self) -> None:
        """Publish ``health`` events about once a minute, from one worker at a time."""
        while True:
            await asyncio.sleep(5.0)
            try:
                lock = self.store.lock(HEALTH_LOCK, ttl=HEALTH_EVERY - 5, blocking_timeout=0)
                await asyncio.to_thread(lock.acquire)
            except LockTimeoutError:
                continue  # another worker published within the minute; the lock expires alone
            except Exception:
                logger.warning("health publisher error", exc_info=True)
                continue
            stamp = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
            for check in await self.health_checks():
                await self.publish_event(
                    {
                        "type": "health",
                        "check": check.name,
                        "status": check.status,
                        "detail": check.detail,
                        "timestamp": stamp,
                    }
                )

    async def aclose(self) -> None:
        """Stop the background work, the clients, and close the store."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
        await asyncio.to_thread(self.alerting.stop)
        await self.marketdata.aclose()
        await asyncio.to_thread(self.store.close)
