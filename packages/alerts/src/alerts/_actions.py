"""Actions a fired rule may run: a WordPress REST call or an allow-listed command.

Actions come only from configuration: a rule names an action; nothing in an event or a message
reaches a command line or a URL. Each run writes one audit log line (logger ``alerts.audit``).
"""

from __future__ import annotations

import logging
import os
import subprocess
import time
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alerts._channels import WordPressChannel
from alerts._config import ActionConfig, CommandActionConfig, WordPressActionConfig
from alerts._exceptions import ActionError, ActionNotAllowedError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    import httpx

    from alerts._notification import Notification

audit = logging.getLogger("alerts.audit")


@dataclass(frozen=True)
class ActionResult:
    """What one action run did.

    Attributes:
        action: the action's name.
        dry_run: True when nothing was executed.
        outcome: ``ok``, ``dry-run`` or ``failed``.
        detail: exit status / HTTP status, or what would have run.
        duration: seconds spent.
    """

    action: str
    dry_run: bool
    outcome: str
    detail: str
    duration: float


class ActionRunner:
    """Run configured actions for notifications.

    Args:
        actions: action name -> configuration (from the rules file).
        allowed_commands: executables command actions may run (exact ``argv[0]`` match).
        dry_run: force every action into dry-run (``alerts run --dry-run-actions``).
        transport: httpx transport for WordPress calls (tests).
    """

    def __init__(
        self,
        actions: Mapping[str, ActionConfig],
        *,
        allowed_commands: Iterable[str] = (),
        dry_run: bool = False,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._actions = dict(actions)
        self._allowed = frozenset(allowed_commands)
        self._dry_run = dry_run
        self._transport = transport

    def __contains__(self, name: object) -> bool:
        return name in self._actions

    def run(self, name: str, notification: Notification) -> ActionResult:
        """Run one action for one notification and audit it.

        Raises:
            ActionNotAllowedError: unknown action, or a command not on the allow-list.
            ActionError: the command failed or timed out.
            ChannelError: the WordPress call failed (rate limited, transient, permanent).
        """
        config = self._actions.get(name)
        if config is None:
            raise ActionNotAllowedError(f"unknown action {name!r}")
        dry = self._dry_run or config.dry_run
        started = time.perf_counter()
        outcome, detail = "failed", ""
        try:
            if isinstance(config, CommandActionConfig):
                detail = self._command(config, notification, dry)
            else:
                detail = self._wordpress(name, config, notification, dry)
            outcome = "dry-run" if dry else "ok"
        except Exception as exc:
            detail = str(exc)[:200]
            raise
        finally:
            duration = time.perf_counter() - started
            audit.info(
                "alert action",
                extra={
                    "action": name,
                    "kind": config.type,
                    "rule_id": notification.rule_id,
                    "notification_id": notification.id,
                    "dry_run": dry,
                    "outcome": outcome,
                    "detail": detail,
                    "duration_s": round(duration, 4),
                },
            )
        return ActionResult(name, dry, outcome, detail, duration)

    def _command(self, config: CommandActionConfig, notification: Notification, dry: bool) -> str:
        executable = config.argv[0]
        if executable not in self._allowed:
            raise ActionNotAllowedError(f"command {executable!r} is not on the allow-list")
        if dry:
            return "would run " + " ".join(config.argv)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "ALERT_RULE_ID": notification.rule_id,
            "ALERT_NOTIFICATION_ID": notification.id,
            "ALERT_STATUS": notification.status,
        }
        try:
            done = subprocess.run(
                config.argv,
                timeout=config.timeout,
                cwd=config.cwd,
                env=env,
                capture_output=True,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ActionError(f"command timed out after {config.timeout:g}s") from exc
        except OSError as exc:
            raise ActionError(f"command could not start: {exc.strerror}") from exc
        if done.returncode != 0:
            raise ActionError(f"command exited with status {done.returncode}")
        return "exit 0"

    def _wordpress(
        self, name: str, config: WordPressActionConfig, notification: Notification, dry: bool
    ) -> str:
        if dry:
            return f"would POST {config.route} action={config.action}"
        channel = WordPressChannel(
            name,
            config.url,
            config.secret,
            route=config.route,
            timeout=config.timeout,
            transport=self._transport,
        )
        try:
            response = channel.call(
                {
                    "id": f"{notification.id}:{name}",
                    "action": config.action,
                    "params": dict(config.params),
                    "rule_id": notification.rule_id,
                    "notification_id": notification.id,
                }
            )
        finally:
            channel.close()
        return f"HTTP {response.status_code}"
