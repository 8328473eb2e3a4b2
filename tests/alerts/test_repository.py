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
