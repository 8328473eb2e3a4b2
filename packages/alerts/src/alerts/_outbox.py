"""The durable outbox, the history, and the delivery worker.

One queue item per (notification, channel) and per (notification, action): the item id is a
hash of the notification's idempotency key and the target, so the store's enqueue de-duplication
keeps each delivery once however many engine processes (or replays) submit it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import math
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from alerts._background import Background
from alerts._exceptions import (
    ActionError,
    ActionNotAllowedError,
    ChannelError,
    ChannelPermanentError,
    ChannelRateLimitedError,
)
from alerts._notification import Notification

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from alerts._actions import ActionRunner
    from alerts._channels import Channel
    from statestore import QueueItem, StateStore

log = logging.getLogger(__name__)

OUTBOX_QUEUE = "alerts:outbox"
HISTORY_STREAM = "alerts:history"
#: Longest pause a 429 can impose on a channel (a Retry-After beyond is read as this).
MAX_RATE_LIMIT_WAIT = 6 * 3600.0


def _target_of(item: QueueItem) -> str:
    try:
        data = json.loads(item.payload)
        return f"{data['target_kind']}:{data['target']}"
    except (ValueError, KeyError, TypeError):
        return ""


def delivery_id(notification_id: str, target_kind: str, target: str) -> str:
    """Return the outbox item id of one notification for one channel or action."""
    raw = f"{notification_id}\x1f{target_kind}\x1f{target}"
    return "dlv_" + hashlib.sha256(raw.encode()).hexdigest()[:32]


@dataclass(frozen=True)
class OutboxEntry:
    """One delivery waiting in the outbox (or dead).

    Attributes:
        id: the outbox item id; target_kind: ``channel`` or ``action``; target: its name.
        attempts: claims so far; available_at: when it may be tried next (unix time).
        reason: why it died (dead letters only).
    """

    id: str
    target_kind: str
    target: str
    notification: Notification
    attempts: int
    available_at: float
    created_at: float
    reason: str | None = None
    dead_at: float | None = None


def _decode(item_id: str, payload: bytes) -> tuple[str, str, Notification, float]:
    data = json.loads(payload)
    return (
        data["target_kind"],
        data["target"],
        Notification.model_validate(data["notification"]),
        float(data.get("created_at", 0.0)),
    )


class Outbox:
    """Durable outbox in a :class:`statestore.StateStore` (SQLite files or Redis).

    Args:
        store: the shared store.
        queue: the queue name.
        clock: unix time.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        queue: str = OUTBOX_QUEUE,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.store = store
        self.queue = queue
        self._clock = clock

    def submit(self, notifications: list[Notification]) -> int:
        """Accept notifications: one durable item per channel and action.

        A notification already submitted (same idempotency key) is not added again. A
        notification with neither channels nor actions is recorded in the history only.

        Returns:
            How many new deliveries were queued.
        """
        added = 0
        now = self._clock()
        for notification in notifications:
            targets = [("channel", c) for c in notification.channels]
            targets += [("action", a) for a in notification.actions]
            first = False
            for kind, target in targets:
                payload = json.dumps(
                    {
                        "target_kind": kind,
                        "target": target,
                        "created_at": now,
                        "notification": notification.model_dump(mode="json"),
                    },
                    separators=(",", ":"),
                ).encode()
                if self.store.enqueue(
                    self.queue, delivery_id(notification.id, kind, target), payload
                ):
                    added += 1
                    first = True
            if not targets:
                first = self.store.add(f"alerts:accepted:{notification.id}", b"1", ttl=7 * 86400)
            if first:
                self.record(
                    "accepted",
                    notification_id=notification.id,
                    rule_id=notification.rule_id,
                    status=notification.status,
                    summary=notification.summary,
                    targets=[t for _, t in targets],
                )
        return added

    def record(self, event: str, **fields: Any) -> None:
        """Append one line to the alert history stream."""
        entry = {"event": event, "at": self._clock(), **fields}
        try:
            self.store.publish(HISTORY_STREAM, json.dumps(entry, default=str).encode())
        except Exception:
            log.warning("could not record alert history", exc_info=True)

    def history(self, limit: int = 100) -> list[dict[str, Any]]:
        """Return the newest ``limit`` history entries, oldest first."""
        entries: list[dict[str, Any]] = []
        after: str | None = None
        while True:
            batch = self.store.read(HISTORY_STREAM, after, count=1000)
            if not batch:
                break
            for entry_id, raw in batch:
                try:
                    data = json.loads(raw)
                except ValueError:
                    continue
                data["id"] = entry_id
                entries.append(data)
            after = batch[-1][0]
            entries = entries[-limit:]
        return entries[-limit:]

    def pending(self) -> list[OutboxEntry]:
        """Return the deliveries not yet done (leased ones included)."""
        out = []
        for item in self.store.pending(self.queue):
            kind, target, notification, created = _decode(item.id, item.payload)
            out.append(
                OutboxEntry(
                    item.id, kind, target, notification, item.attempts, item.available_at, created
                )
            )
        return out

    def _requeued_key(self, item_id: str) -> str:
        return f"{self.queue}:requeued:{item_id}"

    def requeue(self, item_id: str) -> str:
        """Queue a dead letter again, as a fresh delivery of the same notification.

        The new item gets its own id (``<dead id>.r``), zero attempts and a fresh age, but
        carries the same notification, hence the same idempotency key (``webhook-id``,
        ``Message-ID``, ``Idempotency-Key``): a receiver that already got it drops it. The
        statestore cannot remove a dead letter, so the requeued id is remembered and
        :meth:`dead_letters` hides it. Requeueing twice (two shells, a retry after a crash)
        queues it once.

        Returns:
            The new outbox item id.

        Raises:
            KeyError: no dead letter has that id (or it was requeued already).
        """
        for dead in self.store.dead_letters(self.queue):
            if dead.id == item_id:
                break
        else:
            raise KeyError(item_id)
        if self.store.get(self._requeued_key(item_id)) is not None:
            raise KeyError(item_id)
        data = json.loads(dead.payload)
        data["created_at"] = self._clock()
        new_id = f"{item_id}.r"
        payload = json.dumps(data, separators=(",", ":")).encode()
        # Enqueue first: it is idempotent (same id), so a crash before the mark below only
        # leaves the dead letter visible, and a second requeue completes it.
        self.store.enqueue(self.queue, new_id, payload)
        self.store.set(self._requeued_key(item_id), new_id.encode())
        notification = data.get("notification", {})
        self.record(
            "requeued",
            notification_id=notification.get("id"),
            rule_id=notification.get("rule_id"),
            target=data.get("target"),
            item=item_id,
            new_item=new_id,
        )
        return new_id

    def requeue_all(self) -> list[str]:
        """Requeue every (visible) dead letter; return the new item ids."""
        return [self.requeue(entry.id) for entry in self.dead_letters()]

    def dead_letters(self, *, include_requeued: bool = False) -> list[OutboxEntry]:
        """Return the deliveries that finally failed (by default not those requeued since).

        Args:
            include_requeued: also list dead letters that :meth:`requeue` sent again.
        """
        out = []
        for dead in self.store.dead_letters(self.queue):
            if not include_requeued and self.store.get(self._requeued_key(dead.id)) is not None:
                continue
            kind, target, notification, created = _decode(dead.id, dead.payload)
            out.append(
                OutboxEntry(
                    dead.id,
                    kind,
                    target,
                    notification,
                    dead.attempts,
                    dead.dead_at,
                    created,
                    dead.reason,
                    dead.dead_at,
                )
            )
        return out


class DeliveryWorker(Background):
    """Claim outbox items and deliver them; retry with backoff; dead-letter what finally fails.

    Honours 429 Retry-After per channel (every item for that channel waits). A failing channel
    never stops the others: each delivery is its own item.

    Args:
        outbox: the outbox.
        channels: channel name -> channel.
        actions: runs the rules' actions (None: action items are dead-lettered as unknown).
        lease: seconds a claimed item stays ours; after a crash it is re-claimed then.
        batch: items per claim.
        max_attempts: attempts before a transiently failing delivery is dead-lettered.
        max_age: seconds after acceptance before it is dead-lettered (an outage of hours is
            survived: the default is two days).
        backoff_base, backoff_cap: exponential backoff ``base * 2**(attempts-1)`` capped, with
            jitter.
        idle_wait: seconds to wait when nothing is due.
        concurrency: targets (channels/actions) served in parallel within one claimed batch.
        clock: unix time.
    """

    _thread_name = "alerts-delivery"

    def __init__(
        self,
        outbox: Outbox,
        channels: Mapping[str, Channel],
        actions: ActionRunner | None = None,
        *,
        lease: float = 60.0,
        batch: int = 20,
        max_attempts: int = 50,
        max_age: float = 2 * 86400.0,
        backoff_base: float = 1.0,
        backoff_cap: float = 900.0,
        idle_wait: float = 0.05,
        concurrency: int = 8,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.outbox = outbox
        self.channels = dict(channels)
        self.actions = actions
        self.lease, self.batch = lease, batch
        self.max_attempts, self.max_age = max_attempts, max_age
        self.backoff_base, self.backoff_cap = backoff_base, backoff_cap
        self.idle_wait = idle_wait
        self.concurrency = concurrency
        self._clock = clock
        self._paused: dict[str, float] = {}
        self._down: set[str] = set()  # targets failing since their last success
        self._init_background()
        self._count_lock = threading.Lock()
        self.delivered = 0
        self.failed = 0

    def backoff(self, attempts: int) -> float:
        """Seconds to wait before attempt ``attempts + 1`` (exponential, capped, jittered)."""
        base = min(self.backoff_cap, self.backoff_base * 2.0 ** max(0, attempts - 1))
        return base * (0.8 + 0.4 * random.random())  # noqa: S311 - jitter, not crypto

    def run_once(self) -> int:
        """Claim one batch and handle it.

        Returns:
            How many items were handled (0 when nothing was due).
        """
        store, queue = self.outbox.store, self.outbox.queue
        items = store.claim(queue, lease=self.lease, count=self.batch)
        # One lane per target: a slow or hanging channel never holds up the others, and each
        # channel still receives its notifications in order.
        lanes: dict[str, list[QueueItem]] = {}
        for item in items:
            lanes.setdefault(_target_of(item), []).append(item)
        if len(lanes) <= 1 or self.concurrency <= 1:
            for lane in lanes.values():
                self._run_lane(lane)
        else:
            workers = min(self.concurrency, len(lanes))
            with ThreadPoolExecutor(workers, thread_name_prefix="alerts-lane") as pool:
                list(pool.map(self._run_lane, lanes.values()))
        return len(items)

    def _run_lane(self, lane: list[QueueItem]) -> None:
        store, queue = self.outbox.store, self.outbox.queue
        started = time.monotonic()
        for item in lane:
            if time.monotonic() - started > self.lease / 2:
                # A slow channel ate half the lease: hand the rest back now, before the lease
                # runs out and another worker claims (and sends) them while we still hold them.
                try:
                    store.retry(queue, item.id, available_at=self._clock())
                except Exception:
                    log.warning("could not release item", exc_info=True, extra={"item": item.id})
                continue
            try:
                self._handle(item)
            except Exception:
                # The store failed under us (ack/retry/dead): the lease runs out and the item
                # is claimed again; the receiver de-duplicates on the idempotency key.
                log.warning("delivery bookkeeping failed", exc_info=True, extra={"item": item.id})

    def _handle(self, item: QueueItem) -> None:
        store, queue = self.outbox.store, self.outbox.queue
        try:
            kind, target, notification, created = _decode(item.id, item.payload)
        except (ValueError, KeyError, TypeError) as exc:
            store.dead(queue, item.id, reason=f"unreadable item: {exc}")
            return
        now = self._clock()
        lane = f"{kind}:{target}"
        paused = self._paused.get(lane, 0.0)
        channel = self.channels.get(target) if kind == "channel" else None
        if channel is not None:
            paused = max(paused, channel.ready_at())
        if paused > now:
            store.retry(queue, item.id, available_at=paused)
            return
        context = {
            "notification_id": notification.id,
            "rule_id": notification.rule_id,
            "target": target,
            "attempts": item.attempts,
        }
        try:
            if kind == "channel":
                channel = self.channels.get(target)
                if channel is None:
                    raise ChannelPermanentError(f"channel {target!r} is not configured")
                channel.send(notification)
            else:
                if self.actions is None or target not in self.actions:
                    raise ActionNotAllowedError(f"action {target!r} is not configured")
                self.actions.run(target, notification)
        except ChannelRateLimitedError as exc:
            wait = exc.retry_after
            # Any channel (custom ones too) may hand over nonsense; NaN or infinity would park
            # the item forever, neither delivered nor dead-lettered.
            wait = min(max(wait, 0.0), MAX_RATE_LIMIT_WAIT) if math.isfinite(wait) else 1.0
            until = self._clock() + wait
            self._paused[lane] = until
            store.retry(queue, item.id, available_at=until)
            self.outbox.record("rate_limited", retry_after=wait, **context)
            log.info("channel rate limited", extra={**context, "retry_after": wait})
        except (ChannelPermanentError, ActionNotAllowedError) as exc:
            self._die(item, str(exc), context)
        except Exception as exc:  # ChannelError, ActionError, or a bug in a channel
            if not isinstance(exc, ChannelError | ActionError):
                log.warning("channel crashed", exc_info=True, extra=context)
            age = self._clock() - created
            if item.attempts >= self.max_attempts or age >= self.max_age:
                self._die(item, f"gave up after {item.attempts} attempts: {exc}", context)
            else:
                wait = self.backoff(item.attempts)
                # The channel is down: its other items wait out this backoff too, rather than
                # each spending a timeout on it now (and holding up the batch and the lease).
                self._paused[lane] = self._clock() + wait
                store.retry(queue, item.id, available_at=self._clock() + wait)
                self.outbox.record("retry", error=str(exc), wait=round(wait, 3), **context)
                self._went_down(target, context, str(exc))
                log.info("delivery failed; will retry", extra={**context, "error": str(exc)})
        else:
            store.ack(queue, item.id)
            self._came_back(target, context)
            with self._count_lock:
                self.delivered += 1
            latency = self._clock() - notification.at.timestamp()
            self.outbox.record("delivered", latency=round(latency, 4), kind=kind, **context)

    def _went_down(self, target: str, context: dict[str, Any], error: str) -> None:
        """One WARNING when a target starts failing; its retries stay at INFO."""
        with self._count_lock:
            if target in self._down:
                return
            self._down.add(target)
        log.warning("channel down; retrying with backoff", extra={**context, "error": error})

    def _came_back(self, target: str, context: dict[str, Any]) -> None:
        """One WARNING when a failing target delivers again."""
        with self._count_lock:
            if target not in self._down:
                return
            self._down.discard(target)
        log.warning("channel back up", extra=context)

    def _die(self, item: QueueItem, reason: str, context: dict[str, Any]) -> None:
        self.outbox.store.dead(self.outbox.queue, item.id, reason=reason[:500])
        with self._count_lock:
            self.failed += 1
        self.outbox.record("dead", reason=reason[:500], **context)
        log.warning("delivery dead-lettered", extra={**context, "reason": reason[:500]})

    def run(self, stop: threading.Event | None = None) -> None:
        """Deliver until ``stop`` (or :meth:`stop`) is set."""
        stop = stop or self._stop
        while not stop.is_set():
            try:
                handled = self.run_once()
            except Exception:
                log.warning("delivery loop error", exc_info=True)
                handled = 0
            if not handled:
                stop.wait(self.idle_wait)

    async def arun(self) -> None:
        """Deliver until cancelled, as an asyncio task (blocking I/O runs in a thread)."""
        while True:
            handled = await asyncio.to_thread(self.run_once)
            if not handled:
                await asyncio.sleep(self.idle_wait)
