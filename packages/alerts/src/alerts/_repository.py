"""Rules kept in the state store, for the bridge's CRUD routes and `alerts run --store-rules`.

Every change bumps a version, keeps a copy of the rule set under that version for a day, and
publishes a ``{"type":"rules","version":N}`` marker on the shared event stream. Engines apply a
change exactly where they read its marker in the stream, so engines that read the stream at
different speeds still evaluate every event against the same rules (and agree on every firing).
"""

from __future__ import annotations

import json
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from alerts._events import EVENTS_STREAM
from alerts._exceptions import (
    DuplicateRuleError,
    RuleValidationError,
    UnknownRuleError,
    ValidationIssue,
)
from alerts._loader import _format_loc, _real_path
from alerts._rules import RULE_ADAPTER, Rule, rule_to_dict

if TYPE_CHECKING:
    from collections.abc import Iterator

    from statestore import StateStore

RULES_KEY = "alerts:rules"
RULES_MARKER = "rules"
VERSION_TTL = 86400.0


def validate_rule(data: dict[str, Any]) -> Rule:
    """Validate one rule given as JSON data.

    Raises:
        RuleValidationError: with one issue per invalid field (``threshold``, ``trigger.mode``…).
    """
    try:
        return RULE_ADAPTER.validate_python(data)
    except ValidationError as exc:
        issues = []
        for error in exc.errors(include_url=False):
            path = _real_path(data, tuple(error["loc"]))
            issues.append(ValidationIssue(_format_loc(path), error["msg"]))
        raise RuleValidationError(issues) from None


class RuleRepository:
    """Create, read, update and delete rules persisted in the store (atomic across processes).

    Each change publishes a ``{"type":"rules","version":N}`` marker on ``stream`` (under the
    same lock as the change, so markers come in version order).

    Args:
        store: the shared :class:`statestore.StateStore`.
        key: where the rules live.
        stream: where change markers are published (None: publish none).
    """

    def __init__(
        self, store: StateStore, *, key: str = RULES_KEY, stream: str | None = EVENTS_STREAM
    ) -> None:
        self._store = store
        self._key = key
        self._stream = stream

    def _load(self) -> dict[str, dict[str, Any]]:
        raw = self._store.get(self._key)
        return {} if raw is None else dict(json.loads(raw))

    @contextmanager
    def _edit(self) -> Iterator[dict[str, dict[str, Any]]]:
        """Load the rules under the cross-process lock; save them (and publish) on success."""
        with self._store.lock(self._key, ttl=10, blocking_timeout=10):
            rules = self._load()
            before = dict(rules)
            yield rules
            changed = {k for k in before.keys() | rules.keys() if before.get(k) != rules.get(k)}
            self._save(rules, {k: (before.get(k), rules.get(k)) for k in changed})

    def _save(
        self,
        rules: dict[str, dict[str, Any]],
        changes: dict[str, tuple[dict[str, Any] | None, dict[str, Any] | None]],
    ) -> None:
        self._store.set(self._key, json.dumps(rules, separators=(",", ":")).encode())
        version = self._store.incr(f"{self._key}:version")
        # Each version keeps only what changed (before and after), so a rule set of 100,000
        # costs one small record per edit, and any recent version can be rebuilt from it.
        record = {rid: {"before": b, "after": a} for rid, (b, a) in changes.items()}
        self._store.set(
            f"{self._key}:change:{version}",
            json.dumps(record, separators=(",", ":")).encode(),
            ttl=VERSION_TTL,
        )
        if self._stream is not None:
            marker = {"type": RULES_MARKER, "version": version}
            self._store.publish(self._stream, json.dumps(marker).encode())

    def change(self, version: int) -> dict[str, Rule | None] | None:
        """Return what ``version`` changed: rule id -> the rule after it (None: deleted).

        Returns:
            None when that version's record is no longer kept (older than a day).
        """
        raw = self._store.get(f"{self._key}:change:{version}")
        if raw is None:
            return None
        record: dict[str, Any] = json.loads(raw)
        return {
            rid: None if ch["after"] is None else RULE_ADAPTER.validate_python(ch["after"])
            for rid, ch in record.items()
        }

    def at_version(self, version: int) -> tuple[int, list[Rule]]:
        """Return the rules as they were at ``version`` (an engine restarting from a checkpoint).

        Rebuilt from the current rules by undoing the changes since. A version whose changes
        are no longer kept (older than a day) cannot be rebuilt: the current rules stand in
        (and their version is returned), which is what an engine that far behind would see.

        Returns:
            ``(version, rules ordered by id)``.
        """
        with self._store.lock(self._key, ttl=10, blocking_timeout=10):
            current, data = self.version(), self._load()
            for v in range(current, max(version, 0), -1):
                raw = self._store.get(f"{self._key}:change:{v}")
                if raw is None:
                    version = current
                    data = self._load()
                    break
                for rid, ch in json.loads(raw).items():
                    if ch["before"] is None:
                        data.pop(rid, None)
                    else:
                        data[rid] = ch["before"]
        return min(version, current), [
            RULE_ADAPTER.validate_python(d) for _, d in sorted(data.items())
        ]

    def current(self) -> tuple[int, list[Rule]]:
        """Return ``(version, rules)`` read together (consistent with each other)."""
        with self._store.lock(self._key, ttl=10, blocking_timeout=10):
            version, data = self.version(), self._load()
        return version, [RULE_ADAPTER.validate_python(d) for _, d in sorted(data.items())]

    def version(self) -> int:
        """A counter that grows on every change (engines poll it to reload)."""
        return self._store.incr(f"{self._key}:version", 0)

    def list(self) -> list[Rule]:
        """Return every rule, ordered by id."""
        return [RULE_ADAPTER.validate_python(d) for _, d in sorted(self._load().items())]

    def get(self, rule_id: str) -> Rule:
        """Return one rule.

        Raises:
            UnknownRuleError: no such rule.
        """
        data = self._load().get(rule_id)
        if data is None:
            raise UnknownRuleError(rule_id)
        return RULE_ADAPTER.validate_python(data)

    def create(self, rule: Rule | dict[str, Any]) -> Rule:
        """Add a rule.

        Raises:
            RuleValidationError: invalid data. DuplicateRuleError: the id exists.
        """
        rule = validate_rule(rule) if isinstance(rule, dict) else rule
        with self._edit() as rules:
            if rule.id in rules:
                raise DuplicateRuleError(f"rule {rule.id!r} already exists")
            rules[rule.id] = rule_to_dict(rule)
        return rule

    def update(self, rule: Rule | dict[str, Any]) -> Rule:
        """Replace an existing rule (same id).

        Raises:
            RuleValidationError: invalid data. UnknownRuleError: no such rule.
        """
        rule = validate_rule(rule) if isinstance(rule, dict) else rule
        with self._edit() as rules:
            if rule.id not in rules:
                raise UnknownRuleError(rule.id)
            rules[rule.id] = rule_to_dict(rule)
        return rule

    def put(self, rule: Rule) -> Rule:
        """Create or replace a rule."""
        with self._edit() as rules:
            rules[rule.id] = rule_to_dict(rule)
        return rule

    def delete(self, rule_id: str) -> None:
        """Delete a rule.

        Raises:
            UnknownRuleError: no such rule.
        """
        with self._edit() as rules:
            if rules.pop(rule_id, None) is None:
                raise UnknownRuleError(rule_id)
