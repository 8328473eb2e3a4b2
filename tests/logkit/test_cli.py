"""The logkit command line: analyze, templates, tail (one poll), health."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from logkit.cli import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()

TS = "[21-Nov-2026 10:00:00 UTC]"
PHP_LOG = "\n".join(
    [
        f"{TS} PHP Warning:  Undefined variable $a in /var/www/a.php on line 3",
        f"{TS} PHP Warning:  Undefined variable $b in /var/www/b.php on line 9",
        f"{TS} PHP Fatal error:  Uncaught Error: boom in /var/www/c.php:4",
        "Stack trace:",
        "#0 {main}",
        "  thrown in /var/www/c.php on line 4",
    ]
)


@pytest.fixture
def php_log(tmp_path: Path) -> Path:
    path = tmp_path / "debug.log"
    path.write_text(PHP_LOG + "\n")
    return path


class TestAnalyze:
    def test_json_report(self, php_log: Path) -> None:
        result = runner.invoke(app, ["analyze", str(php_log), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.stdout)
        assert report["lines"] == 6
        assert report["entries"] == 3
        assert report["formats"] == {"php": 3}
        top = report["top_templates"][0]
        assert top["count"] == 2
        assert top["template"] == "Undefined variable <*> in <*> on line <*>"

    def test_no_warmup_reports_every_new_template(self, php_log: Path) -> None:
        args = ["analyze", str(php_log), "--json", "--warmup-lines", "0", "--warmup-windows", "0"]
        result = runner.invoke(app, args)
        assert result.exit_code == 0, result.output
        kinds = [a["kind"] for a in json.loads(result.stdout)["anomalies"]]
        assert kinds.count("new_template") == 2

    def test_tables_and_state(self, php_log: Path, tmp_path: Path) -> None:
        state = tmp_path / "state.json"
        result = runner.invoke(app, ["analyze", str(php_log), "--state", str(state)])
        assert result.exit_code == 0, result.output
        assert "Top templates" in result.stdout
        assert json.loads(state.read_text())["version"] == 1

    def test_missing_file_exits_1(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["analyze", str(tmp_path / "nope.log")])
        assert result.exit_code == 1

    def test_unknown_format_is_usage_error(self, php_log: Path) -> None:
        assert runner.invoke(app, ["analyze", str(php_log), "--format", "xml"]).exit_code == 2


class TestTemplates:
    def test_one_json_line_per_input_line(self, php_log: Path) -> None:
        result = runner.invoke(app, ["templates", str(php_log), "--json"])
        assert result.exit_code == 0, result.output
        rows = [json.loads(line) for line in result.stdout.splitlines()]
        assert [r["line"] for r in rows] == [1, 2, 3, 4, 5, 6]
        assert rows[0]["template_id"] == rows[1]["template_id"]
        assert len({r["template_id"] for r in rows[2:]}) == 1  # the fatal and its trace
        assert rows[2]["template"] == "Uncaught Error: boom in <*>"

    def test_raw_format_treats_lines_as_messages(self, tmp_path: Path) -> None:
        path = tmp_path / "plain.txt"
        path.write_text("user 1 logged in\nuser 2 logged in\n")
        result = runner.invoke(app, ["templates", str(path), "--format", "raw"])
        assert result.exit_code == 0
        assert result.stdout.splitlines()[0].endswith("\tuser <*> logged in")


class TestHealth:
    def test_ok_and_failure_exit_codes(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
        monkeypatch.delenv("SWITCHYARD_STATE_URL", raising=False)
        monkeypatch.delenv("LOGKIT_BRIDGE_URL", raising=False)
        monkeypatch.delenv("LOGKIT_FILE", raising=False)
        ok = runner.invoke(app, ["health", "--json"])
        assert ok.exit_code == 0, ok.output
        assert json.loads(ok.stdout)["status"] in ("ok", "degraded")
        failed = runner.invoke(app, ["health", "--json", "--path", str(tmp_path / "missing")])
        assert failed.exit_code == 1
        report = json.loads(failed.stdout)
        assert report["status"] == "fail"
        assert any(c["status"] == "fail" and "missing" in c["name"] for c in report["checks"])


class TestTail:
    def test_prints_anomalies_for_appended_lines(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        log = tmp_path / "app.log"
        log.write_text("")
        state = tmp_path / "state"
        calls = {"n": 0}

        def fake_sleep(_: float) -> None:
            calls["n"] += 1
            if calls["n"] == 1:
                with log.open("a") as fh:
                    fh.write("[21-Nov-2026 10:00:00 UTC] PHP Warning:  x in /a.php on line 1\n")
                return
            raise KeyboardInterrupt

        monkeypatch.setattr("logkit.cli.time.sleep", fake_sleep)
        args = ["tail", str(log), "--state", str(state), "--echo", "--warmup-lines", "0"]
        result = runner.invoke(app, [*args, "--warmup-windows", "0"])
        assert result.exit_code == 0, result.output
        assert "PHP Warning" in result.stdout
        assert "new_template" in result.stdout
        positions = json.loads((state / "positions.json").read_text())
        assert positions["files"][str(log)]["offset"] == log.stat().st_size
        assert (state / "analyzer.json").exists()


class TestExplain:
    def test_analyze_explain_uses_the_endpoint(
        self, php_log: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        from tests.logkit.test_explain import _ChatServer, _completion

        _ChatServer.requests = []
        _ChatServer.delay = 0.0
        _ChatServer.status = 200
        _ChatServer.reply = _completion('{"probable_cause": "c", "suggested_action": "a"}')
        import threading
        from http.server import ThreadingHTTPServer

        httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ChatServer)
        thread = threading.Thread(target=httpd.serve_forever, daemon=True)
        thread.start()
        try:
            monkeypatch.setenv("LOGKIT_LLM_URL", f"http://127.0.0.1:{httpd.server_address[1]}/v1")
            args = ["analyze", str(php_log), "--json", "--warmup-lines", "0"]
            args += ["--warmup-windows", "0", "--explain", "1"]
            result = runner.invoke(app, args)
        finally:
            httpd.shutdown()
            httpd.server_close()
        assert result.exit_code == 0, result.output
        [explanation] = json.loads(result.stdout)["explanations"]
        assert explanation["probable_cause"] == "c"
        assert explanation["suggested_action"] == "a"
        assert len(_ChatServer.requests) == 1

    def test_explain_without_endpoint_is_a_warning(
        self, php_log: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        monkeypatch.delenv("LOGKIT_LLM_URL", raising=False)
        result = runner.invoke(app, ["analyze", str(php_log), "--explain", "3"])
        assert result.exit_code == 0
        assert "LOGKIT_LLM_URL" in result.output
