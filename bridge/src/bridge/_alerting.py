"""The alert engine and its delivery worker, running inside every bridge worker.

Each worker's engine reads the whole shared stream ``switchyard:events`` — so a quote fetched by
any caller, in any worker or any other process, reaches every rule — and submits what fires to
the durable outbox. Notification ids are idempotency keys (rule, revision, firing, status), so
when several engines see the same event the outbox keeps one copy, and the delivery workers'
atomic claims hand each delivery to exactly one of them.

Rules live in the store (``RuleRepository``), edited through ``/v1/alerts/rules``; every edit
publishes a rules marker on the stream, and every engine switches rules at that marker, so all
engines agree on which events each version of the rules saw. Channels and actions come from the
rules file named by ``ALERTS_RULES`` (whose rules are added to the repository when missing).
"""

from __future__ import annotations

import contextlib
import logging
from typing import TYPE_CHECKING, Any

import alerts
from bridge import _metrics

if TYPE_CHECKING:
    from pathlib import Path

    from statestore import StateStore

logger = logging.getLogger(__name__)

ENGINE_NAME = "bridge"


class CountingOutbox(alerts.Outbox):
    """The outbox, counting the deliveries it newly accepts (duplicates from peers are not)."""

    def submit(self, notifications: list[alerts.Notification]) -> int:
        """Queue notifications; count each new delivery under its rule."""
        added = 0
        for notification in notifications:
            count = super().submit([notification])
            if count:
                _metrics.ALERTS_FIRED.labels(notification.rule_id).inc(count)
            added += count
        return added


class CountingChannel(alerts.Channel):
    """A channel wrapper that counts deliveries and failures by channel.

    Args:
        inner: the configured channel.
    """

    def __init__(self, inner: alerts.Channel) -> None:
        self.inner = inner
        self.name = inner.name

    def send(self, notification: alerts.Notification) -> None:
        """Deliver through the wrapped channel; failures are counted and re-raised."""
        try:
            self.inner.send(notification)
        except Exception:
            _metrics.DELIVERIES.labels(self.name, "failed").inc()
            _metrics.DELIVERIES_FAILED.labels(self.name).inc()
            raise
        _metrics.DELIVERIES.labels(self.name, "sent").inc()

    def close(self) -> None:
        """Close the wrapped channel."""
        self.inner.close()


class Alerting:
    """Rules, engine, outbox and delivery worker of one bridge worker.

    Args:
        store: the shared store.
        rules_file: the rules file with channels and actions (``ALERTS_RULES``), if any.
        dry_run_actions: audit actions without running them (``ALERTS_DRY_RUN_ACTIONS``).

    Raises:
        RuleValidationError: the rules file is invalid.
    """

    def __init__(
        self,
        store: StateStore,
        *,
        rules_file: Path | None = None,
        dry_run_actions: bool = False,
    ) -> None:
        self.store = store
        self.repository = alerts.RuleRepository(store)
        self.document = alerts.load_rules(rules_file) if rules_file else alerts.RulesDocument()
        for rule in self.document.rules:
            # A rule edited through the API since keeps its stored version.
            with contextlib.suppress(alerts.DuplicateRuleError):
                self.repository.create(rule)
        self.channels: dict[str, alerts.Channel] = {
            name: CountingChannel(channel)
            for name, channel in self.document.build_channels().items()
        }
        self.actions = alerts.ActionRunner(
            self.document.actions,
            allowed_commands=self.document.allowed_commands,
            dry_run=dry_run_actions,
        )
        self.outbox = CountingOutbox(store)
        self.engine, on_rules = alerts.engine_on_store_rules(
            store, self.repository, name=ENGINE_NAME, outbox=self.outbox
        )
        self.runner = alerts.StreamRunner(self.engine, store, on_rules=on_rules)
        # Polling the outbox five times a second keeps delivery prompt without a steady load
        # of store writes competing with the request loop.
        self.worker = alerts.DeliveryWorker(self.outbox, self.channels, self.actions, idle_wait=0.2)

    def start(self) -> None:
        """Start the stream runner and the delivery worker threads."""
        self.runner.start()
        self.worker.start()

    def stop(self) -> None:
        """Stop both threads (the runner checkpoints on its way out)."""
        self.runner.stop()
        self.worker.stop()
        for channel in self.channels.values():
            try:
                channel.close()
            except Exception:  # closing is best effort: one channel must not block the rest
                logger.warning("channel close failed", exc_info=True)

    def check_channels(self, rule: alerts.Rule) -> None:
        """Refuse a rule naming a channel or action that is not configured.

        Raises:
            UnknownChannelError: with the names that are missing.
        """
        missing = [name for name in rule.channels if name not in self.channels]
        missing += [name for name in rule.actions if name not in self.document.actions]
        if missing:
            configured = ", ".join(sorted(self.channels)) or "none (set ALERTS_RULES)"
            raise alerts.UnknownChannelError(
                f"rule {rule.id!r} names unknown channel(s)/action(s) "
                f"{', '.join(missing)}; configured channels: {configured}"
            )

    def test_rule(self, rule: alerts.Rule, events: list[alerts.Event]) -> list[dict[str, Any]]:
        """Run one rule over ``events`` on a fake clock, sending nothing.

        Returns:
            The notifications it would send, as JSON data.
        """
        return [note.model_dump(mode="json") for note in alerts.simulate([rule], events)]
