"""Fixtures: one behavioural suite run against every backend (SQLite always, Redis in e2e)."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest

from statestore import StateStore, open_store
from tests.redis_server import running_redis

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


@pytest.fixture(scope="session")
def redis_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The URL of a private redis-server shared by the session."""
    with running_redis(tmp_path_factory.mktemp("redis")) as (url, _):
        yield url


def _flush(url: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    client.flushdb()
    client.close()


@pytest.fixture(params=["sqlite", pytest.param("redis", marks=pytest.mark.e2e)])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty state URL for each backend."""
    if request.param == "sqlite":
        return f"sqlite://{tmp_path / 'state'}"
    url: str = request.getfixturevalue("redis_url")
    _flush(url)
    return url


@pytest.fixture
def store(store_url: str) -> Iterator[StateStore]:
    """An open store on a fresh backend, closed afterwards."""
    opened = open_store(store_url)
    try:
        yield opened
    finally:
        opened.close()
