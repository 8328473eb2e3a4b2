"""URLs and settings: parsing, masking of passwords, the environment."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from statestore import (
    InvalidStateURLError,
    SQLiteStateStore,
    StateSettings,
    StateStoreUnavailableError,
    mask_url,
    open_store,
    parse_state_url,
)


class TestParse:
    def test_sqlite_absolute_path(self) -> None:
        parsed = parse_state_url("sqlite:///var/lib/sw/state")
        assert parsed.backend == "sqlite"
        assert parsed.path == Path("/var/lib/sw/state")

    @pytest.mark.parametrize(
        "url",
        ["redis://127.0.0.1:6379/0", "redis://:pw@h:1/2", "rediss://h", "unix:///run/redis.sock"],
    )
    def test_redis_forms(self, url: str) -> None:
        assert parse_state_url(url).backend == "redis"

    @pytest.mark.parametrize(
        ("url", "fragment"),
        [
            pytest.param("sqlite://relative/path", "three slashes", id="sqlite-host"),
            pytest.param("sqlite:///", "absolute", id="sqlite-root"),
            pytest.param("sqlite:", "absolute", id="sqlite-empty"),
            pytest.param("redis:///0", "needs a host", id="redis-no-host"),
            pytest.param("redis://h:6379/zero", "database must be a number", id="redis-db"),
            pytest.param("redis://h:port/0", "port", id="redis-port"),
            pytest.param("postgres://h/db", "unsupported", id="other-scheme"),
            pytest.param("/just/a/path", "unsupported", id="no-scheme"),
        ],
    )
    def test_invalid_urls_say_why(self, url: str, fragment: str) -> None:
        with pytest.raises(InvalidStateURLError, match=fragment):
            parse_state_url(url)

    def test_invalid_url_is_a_value_error(self) -> None:
        with pytest.raises(ValueError, match="unsupported"):
            open_store("mysql://x")


class TestMasking:
    @pytest.mark.parametrize(
        ("url", "expected"),
        [
            ("redis://:s3cret@h:6379/0", "redis://:***@h:6379/0"),
            ("redis://user:s3cret@h:6379/0", "redis://user:***@h:6379/0"),
            ("redis://s3cret@h/0", "redis://***@h/0"),
            ("redis://h:6379/0?password=s3cret&ssl=1", "redis://h:6379/0?password=***&ssl=1"),
            ("redis://h:6379/0", "redis://h:6379/0"),
        ],
    )
    def test_password_never_shown(self, url: str, expected: str) -> None:
        assert mask_url(url) == expected

    def test_repr_and_errors_hide_the_password(self) -> None:
        parsed = parse_state_url("redis://:s3cret@127.0.0.1:1/0")
        assert "s3cret" not in repr(parsed)
        assert "s3cret" not in str(parsed)
        with pytest.raises(InvalidStateURLError) as info:
            parse_state_url("redis://:s3cret@h:6379/x")
        assert "s3cret" not in str(info.value)

    def test_unreachable_redis_is_unavailable_without_password(self) -> None:
        with pytest.raises(StateStoreUnavailableError) as info:
            open_store("redis://:s3cret@127.0.0.1:1/0")
        assert "s3cret" not in str(info.value)
        assert "***" in str(info.value)
        assert info.value.__cause__ is None  # the redis error (with its URL) is not chained
        assert isinstance(info.value, ConnectionError)


class TestSettings:
    def test_default_is_sqlite_under_home(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("SWITCHYARD_STATE_URL", raising=False)
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path / "home"))
        assert StateSettings().state_url() == f"sqlite://{tmp_path / 'home' / 'state'}"
        store = open_store()
        try:
            assert isinstance(store, SQLiteStateStore)
            assert store.path == tmp_path / "home" / "state"
            for directory in (tmp_path / "home", tmp_path / "home" / "state"):
                assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        finally:
            store.close()

    def test_state_url_from_environment(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.setenv("SWITCHYARD_STATE_URL", f"sqlite://{tmp_path}/elsewhere")
        with open_store() as store:
            assert isinstance(store, SQLiteStateStore)
            assert store.path == tmp_path / "elsewhere"

    def test_settings_repr_hides_the_url(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SWITCHYARD_STATE_URL", "redis://:s3cret@h:6379/0")
        assert "s3cret" not in repr(StateSettings())

    def test_state_path_that_is_a_file_is_refused(self, tmp_path: Path) -> None:
        (tmp_path / "file").write_text("x")
        with pytest.raises(Exception, match="not a directory"):
            open_store(f"sqlite://{tmp_path}/file")
