"""The committed ``bridge/openapi.json`` is the contract: it must match the code."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from typer.testing import CliRunner

from bridge._openapi import render_openapi
from bridge.cli import app
from tests.conftest import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

COMMITTED = REPO_ROOT / "bridge" / "openapi.json"


class TestCommittedDocument:
    def test_matches_the_code(self) -> None:
        assert COMMITTED.read_text(encoding="utf-8") == render_openapi(), (
            "bridge/openapi.json is out of date: run `bridge openapi -o bridge/openapi.json`"
        )

    def test_every_route_but_health_requires_the_bearer_token(self) -> None:
        document = json.loads(render_openapi())
        assert document["paths"]
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                secured = bool(operation.get("security"))
                assert secured is (path != "/v1/health"), f"{method.upper()} {path}"

    def test_error_answers_use_the_one_shape(self) -> None:
        document = json.loads(render_openapi())
        for path, operations in document["paths"].items():
            for method, operation in operations.items():
                for status, response in operation["responses"].items():
                    if status.startswith(("4", "5")) and path != "/v1/health":
                        schema = response["content"]["application/json"]["schema"]
                        assert schema == {"$ref": "#/components/schemas/ErrorPublic"}, (
                            f"{method.upper()} {path} {status}"
                        )

    def test_check_command_detects_drift(self, tmp_path: Path) -> None:
        stale = tmp_path / "openapi.json"
        stale.write_text("{}\n", encoding="utf-8")
        runner = CliRunner()
        result = runner.invoke(app, ["openapi", "-o", str(stale), "--check"])
        assert result.exit_code == 3
        assert "out of date" in result.stderr
        assert runner.invoke(app, ["openapi", "-o", str(stale)]).exit_code == 0
        assert runner.invoke(app, ["openapi", "-o", str(stale), "--check"]).exit_code == 0
        assert stale.read_text(encoding="utf-8") == render_openapi()
