"""Settings fail fast: unsafe values are refused at start-up with the reason."""

from __future__ import annotations

from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr, ValidationError

from bridge import Settings
from bridge._settings import is_loopback

if TYPE_CHECKING:
    from pathlib import Path

STRONG = "a-long-enough-token-for-tests-123"


class TestLoopback:
    @pytest.mark.parametrize(
        ("host", "expected"),
        [
            pytest.param("127.0.0.1", True, id="ipv4"),
            pytest.param("127.1.2.3", True, id="ipv4-block"),
            pytest.param("::1", True, id="ipv6"),
            pytest.param("[::1]", True, id="ipv6-bracketed"),
            pytest.param("localhost", True, id="name"),
            pytest.param("0.0.0.0", False, id="any"),
            pytest.param("::", False, id="ipv6-any"),
            pytest.param("192.168.1.10", False, id="lan"),
            pytest.param("example.com", False, id="other-name"),
        ],
    )
    def test_classifies_hosts(self, host: str, expected: bool) -> None:
        assert is_loopback(host) is expected


class TestSettings:
    def test_defaults_are_loopback_8765(self, tmp_path: Path) -> None:
        settings = Settings(home=tmp_path)
        assert (settings.host, settings.port, settings.workers) == ("127.0.0.1", 8765, 1)
        assert settings.token_file == tmp_path / "bridge" / "token"

    def test_refuses_public_host_without_token(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="without an explicit BRIDGE_TOKEN"):
            Settings(home=tmp_path, host="0.0.0.0")

    def test_accepts_public_host_with_token(self, tmp_path: Path) -> None:
        settings = Settings(home=tmp_path, host="0.0.0.0", token=SecretStr(STRONG))
        assert settings.host == "0.0.0.0"

    def test_unix_socket_needs_no_token(self, tmp_path: Path) -> None:
        settings = Settings(home=tmp_path, host="0.0.0.0", uds=tmp_path / "s.sock")
        assert settings.uds == tmp_path / "s.sock"

    def test_refuses_short_token(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="shorter than 16"):
            Settings(home=tmp_path, token=SecretStr("short"))

    @pytest.mark.parametrize("field", ["port", "workers"])
    def test_refuses_out_of_range_numbers(self, tmp_path: Path, field: str) -> None:
        with pytest.raises(ValidationError, match=field):
            Settings.model_validate({"home": tmp_path, field: -1})

    def test_reads_environment(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
        monkeypatch.setenv("BRIDGE_PORT", "9999")
        monkeypatch.setenv("BRIDGE_TOKEN", STRONG)
        settings = Settings()
        assert settings.home == tmp_path
        assert settings.port == 9999
        assert settings.token is not None
        assert STRONG not in repr(settings)

    def test_unix_home_variable_is_not_switchyard_home(
        self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
    ) -> None:
        monkeypatch.delenv("SWITCHYARD_HOME", raising=False)
        monkeypatch.setenv("HOME", str(tmp_path))
        assert Settings().home == tmp_path / ".local" / "share" / "switchyard"

    def test_environ_round_trips(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        settings = Settings(home=tmp_path, port=1234, workers=3, token=SecretStr(STRONG))
        for key, value in settings.environ().items():
            monkeypatch.setenv(key, value)
        again = Settings()
        assert again.model_dump() == settings.model_dump()
