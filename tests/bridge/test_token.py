"""The generated bearer token: a 0600 file, made once, refused when others can read it."""

from __future__ import annotations

import stat
from typing import TYPE_CHECKING

import pytest
from pydantic import SecretStr

from bridge._exceptions import ConfigurationError, TokenFileError
from bridge._token import load_or_create_token, wp_config_lines

if TYPE_CHECKING:
    from pathlib import Path


class TestLoadOrCreateToken:
    def test_first_call_generates_a_private_file(self, tmp_path: Path) -> None:
        path = tmp_path / "bridge" / "token"
        source = load_or_create_token(path)
        assert source.generated
        assert source.path == path
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert len(source.token.get_secret_value()) >= 32

    def test_second_call_reads_the_same_token(self, tmp_path: Path) -> None:
        path = tmp_path / "token"
        first = load_or_create_token(path)
        second = load_or_create_token(path)
        assert not second.generated
        assert second.token.get_secret_value() == first.token.get_secret_value()

    def test_tokens_differ_between_homes(self, tmp_path: Path) -> None:
        one = load_or_create_token(tmp_path / "a" / "token").token.get_secret_value()
        two = load_or_create_token(tmp_path / "b" / "token").token.get_secret_value()
        assert one != two

    def test_explicit_token_writes_nothing(self, tmp_path: Path) -> None:
        source = load_or_create_token(tmp_path / "token", SecretStr("x" * 20))
        assert source.path is None
        assert not (tmp_path / "token").exists()

    def test_refuses_a_file_others_can_read(self, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text("abcdefghijklmnopqrstuvwxyz\n", encoding="utf-8")
        path.chmod(0o644)
        with pytest.raises(TokenFileError, match="chmod 600"):
            load_or_create_token(path)

    def test_refuses_an_empty_file(self, tmp_path: Path) -> None:
        path = tmp_path / "token"
        path.write_text("\n", encoding="utf-8")
        path.chmod(0o600)
        with pytest.raises(ConfigurationError, match="empty"):
            load_or_create_token(path)


class TestWpConfigLines:
    def test_two_php_defines(self) -> None:
        lines = wp_config_lines("http://127.0.0.1:8765", SecretStr("tok'en\\x"))
        assert lines == [
            "define('SWITCHYARD_BRIDGE_URL', 'http://127.0.0.1:8765');",
            "define('SWITCHYARD_BRIDGE_TOKEN', 'tok\\'en\\\\x');",
        ]
