"""Fixtures for the marketdata tests: one shared state store, isolated by namespace."""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

import pytest

from marketdata import MarketDataSettings
from statestore import StateStore, open_store

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def store(tmp_path_factory: pytest.TempPathFactory) -> Iterator[StateStore]:
    """One SQLite store for the session; each test gets its own namespace in it."""
    state = open_store(f"sqlite://{tmp_path_factory.mktemp('mdstate')}/state")
    yield state
    state.close()


@pytest.fixture
def settings_factory(tmp_path: Path) -> Any:
    """Build settings isolated from the environment, with a fresh namespace."""

    def make(**overrides: Any) -> MarketDataSettings:
        values: dict[str, Any] = {
            "home": tmp_path,
            "namespace": f"t{uuid.uuid4().hex[:12]}",
            "alphavantage_api_key": "AVTESTKEY1",
            "finnhub_api_key": "FHTESTKEY1",
            "alphavantage_url": "http://av.test",
            "finnhub_url": "http://fh.test/api/v1",
            "retry_wait": 0.0,
            "timeout": 2.0,
            "secrets_file": None,
        }
        values.update(overrides)
        return MarketDataSettings(_env_file=None, **values)

    return make


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep the developer's real keys and state out of the tests."""
    for name in (
        "ALPHAVANTAGE_API_KEY",
        "FINNHUB_API_KEY",
        "SWITCHYARD_STATE_URL",
        "SWITCHYARD_SECRETS_FILE",
        "VAULT_ADDR",
        "VAULT_TOKEN",
        "SWITCHYARD_VAULT_PATH",
    ):
        monkeypatch.delenv(name, raising=False)
