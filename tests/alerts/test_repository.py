"""Rules persisted in the store, for the bridge's CRUD routes."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from alerts import (
    DuplicateRuleError,
    RuleRepository,
    RuleValidationError,
    UnknownRuleError,
    validate_rule,
)

if TYPE_CHECKING:
    from statestore import StateStore


class TestRuleRepository:
    def test_crud(self, store: StateStore) -> None:
        repo = RuleRepository(store)
        v0 = repo.version()
        repo.create({"id": "b", "kind": "cross_up", "symbol": "ibm", "level": 1})
        repo.create({"id": "a", "kind": "health"})
        assert [r.id for r in repo.list()] == ["a", "b"]
        assert repo.get("b").symbol == "IBM"  # type: ignore[union-attr]
        repo.update({"id": "b", "kind": "cross_up", "symbol": "ibm", "level": 2})
        assert repo.get("b").level == 2  # type: ignore[union-attr]
        repo.delete("a")
        assert [r.id for r in RuleRepository(store).list()] == ["b"]
        assert repo.version() > v0

    def test_errors(self, store: StateStore) -> None:
        repo = RuleRepository(store)
        repo.create({"id": "a", "kind": "health"})
        with pytest.raises(DuplicateRuleError):
            repo.create({"id": "a", "kind": "health"})
        with pytest.raises(UnknownRuleError):
            repo.get("zz")
        with pytest.raises(UnknownRuleError):
            repo.update({"id": "zz", "kind": "health"})
        with pytest.raises(UnknownRuleError):
            repo.delete("zz")
        with pytest.raises(LookupError):
            repo.delete("zz")

    def test_validation_names_the_field(self) -> None:
        with pytest.raises(RuleValidationError) as info:
            validate_rule({"id": "a", "kind": "price_above", "symbol": "A", "threshold": "x"})
        assert info.value.issues[0].location == "threshold"
        assert info.value.issues[0].line is None


def test_a_refused_change_publishes_nothing(store: StateStore) -> None:
    repo = RuleRepository(store, stream="ev")
    repo.create({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 1})
    with pytest.raises(DuplicateRuleError):
        repo.create({"id": "a", "kind": "cross_up", "symbol": "IBM", "level": 2})
    with pytest.raises(UnknownRuleError):
        repo.delete("nope")
    assert repo.version() == 1
    assert len(store.read("ev", None)) == 1


def test_versions_are_rebuilt_from_small_change_records(store: StateStore) -> None:
    repo = RuleRepository(store, stream=None)
    base = {"kind": "cross_up", "symbol": "IBM"}
    repo.create({"id": "a", **base, "level": 1})
    repo.create({"id": "b", **base, "level": 2})
    repo.update({"id": "a", **base, "level": 3})
    repo.delete("b")
    levels = {v: {r.id: getattr(r, "level", None) for r in repo.at_version(v)[1]} for v in range(5)}
    assert levels == {0: {}, 1: {"a": 1}, 2: {"a": 1, "b": 2}, 3: {"a": 3, "b": 2}, 4: {"a": 3}}
    change = repo.change(4)
    assert change == {"b": None}
    raw = store.get("alerts:rules:change:3")
    assert raw is not None
    assert len(raw) < 1000  # one rule before and after, not the whole rule set
    store.delete("alerts:rules:change:2")  # expired: version 1 can no longer be rebuilt
    assert repo.at_version(1)[0] == 4
