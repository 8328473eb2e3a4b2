"""The command line: token commands, wp-config lines, refusals, and where the token may appear."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from bridge.cli import app

if TYPE_CHECKING:
    from pathlib import Path

    from tests.bridge.server import RunningBridge

runner = CliRunner()


@pytest.fixture
def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    for name in list(os.environ):
        if name.startswith("BRIDGE_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
    return tmp_path


class TestTokenCommands:
    def test_token_is_generated_once_and_printed_on_demand(self, env: Path) -> None:
        first = runner.invoke(app, ["token"])
        second = runner.invoke(app, ["token"])
        assert first.exit_code == 0
        assert first.stdout.strip() == second.stdout.strip()
        assert first.stdout.strip() == (env / "bridge" / "token").read_text().strip()

    def test_token_path(self, env: Path) -> None:
        result = runner.invoke(app, ["token", "--path"])
        assert result.stdout.strip() == str(env / "bridge" / "token")

    def test_wp_config_lines(self, env: Path) -> None:
        result = runner.invoke(app, ["wp-config"])
        token = (env / "bridge" / "token").read_text().strip()
        assert result.stdout.splitlines() == [
            "define('SWITCHYARD_BRIDGE_URL', 'http://127.0.0.1:8765');",
            f"define('SWITCHYARD_BRIDGE_TOKEN', '{token}');",
        ]

    def test_wp_config_over_a_unix_socket(self, env: Path) -> None:
        sock = env / "bridge.sock"
        result = runner.invoke(app, ["wp-config"], env={"BRIDGE_UDS": str(sock)})
        assert f"define('SWITCHYARD_BRIDGE_URL', 'unix://{sock}');" in result.stdout

    def test_wp_config_names_the_port_serve_was_given(self, env: Path) -> None:
        result = runner.invoke(app, ["wp-config", "--port", "18765"])
        assert result.exit_code == 0
        assert "define('SWITCHYARD_BRIDGE_URL', 'http://127.0.0.1:18765');" in result.stdout

    def test_wp_config_names_the_socket_serve_was_given(self, env: Path) -> None:
        sock = env / "run" / "b.sock"
        result = runner.invoke(app, ["wp-config", "--uds", str(sock)])
        assert f"define('SWITCHYARD_BRIDGE_URL', 'unix://{sock}');" in result.stdout

    def test_unsafe_token_file_is_refused_with_exit_2(self, env: Path) -> None:
        path = env / "bridge" / "token"
        path.parent.mkdir(parents=True)
        path.write_text("a-token-that-others-can-read\n")
        path.chmod(0o644)
        result = runner.invoke(app, ["token"])
        assert result.exit_code == 2
        assert "chmod 600" in " ".join(result.stderr.split())


class TestServeRefuses:
    def test_public_host_without_token_exits_2_and_says_why(self, env: Path) -> None:
        result = runner.invoke(app, ["serve", "--host", "0.0.0.0"])
        assert result.exit_code == 2
        message = " ".join(result.stderr.split())
        assert "refusing to listen on '0.0.0.0' without an explicit BRIDGE_TOKEN" in message
        assert not (env / "bridge" / "token").exists()

    def test_invalid_rules_file_exits_2_naming_the_problem(self, env: Path) -> None:
        rules = env / "rules.json"
        rules.write_text('{"rules": [{"id": "x", "kind": "price_above"}]}', encoding="utf-8")
        result = runner.invoke(app, ["serve"], env={"ALERTS_RULES": str(rules)})
        assert result.exit_code == 2
        assert "ALERTS_RULES" in result.stderr
        assert "threshold" in result.stderr

    def test_short_token_exits_2(self, env: Path) -> None:
        result = runner.invoke(app, ["serve"], env={"BRIDGE_TOKEN": "short"})
        assert result.exit_code == 2
        assert "shorter than 16" in result.stderr


class TestTokenStaysOutOfLogs:
    def test_first_start_without_a_terminal_prints_the_path_not_the_token(
        self, bridge_uds: RunningBridge
    ) -> None:
        # The unix-socket session bridge started without BRIDGE_TOKEN: it generated its token.
        with bridge_uds.client() as client:
            assert client.get("/metrics").status_code == 200
            client.get("/v1/quotes/IBM", headers={"X-Request-ID": "token-check"})
        output = bridge_uds.output()
        token_file = bridge_uds.home / "bridge" / "token"
        assert bridge_uds.token == token_file.read_text(encoding="utf-8").strip()
        assert f"bearer token: generated into {token_file}" in " ".join(output.split())
        assert f"bridge wp-config --uds {bridge_uds.uds}" in " ".join(output.split())
        assert bridge_uds.token not in output
        log = (bridge_uds.home / "logs" / "bridge.log").read_text(encoding="utf-8")
        assert "Application startup complete" in log
        assert bridge_uds.token not in log
