"""configure(): one processor chain for structlog and stdlib, context, redaction, file sink."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest
import structlog
from pydantic import SecretStr

import logkit
from logkit.testing import capture_logs

REPO = Path(__file__).resolve().parents[2]


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


class TestRendering:
    def test_stdlib_record_with_extras_renders_as_json(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out, level="DEBUG")
        logging.getLogger("pkg.mod").info("fetched %s", "IBM", extra={"symbol": "IBM", "n": 3})
        [event] = _json_lines(out.getvalue())
        assert event["event"] == "fetched IBM"
        assert event["symbol"] == "IBM"
        assert event["n"] == 3
        assert event["level"] == "info"
        assert event["logger"] == "pkg.mod"
        assert str(event["timestamp"]).endswith("Z")

    def test_structlog_and_stdlib_share_the_chain(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        structlog.get_logger("s").warning("from structlog", k="v")
        logging.getLogger("l").warning("from stdlib")
        events = _json_lines(out.getvalue())
        assert [e["event"] for e in events] == ["from structlog", "from stdlib"]
        assert all(e["level"] == "warning" for e in events)

    def test_level_filters(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out, level="WARNING")
        logging.getLogger("x").info("hidden")
        structlog.get_logger().info("hidden too")
        logging.getLogger("x").error("shown")
        assert [e["event"] for e in _json_lines(out.getvalue())] == ["shown"]

    def test_console_renderer_is_readable(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="console", stream=out)
        logging.getLogger("c").info("hello", extra={"symbol": "IBM"})
        text = out.getvalue()
        assert "hello" in text
        assert "symbol=IBM" in text
        assert not text.startswith("{")

    def test_exception_text_is_included(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        try:
            raise ValueError("bad thing")
        except ValueError:
            logging.getLogger("e").exception("failed")
        [event] = _json_lines(out.getvalue())
        assert "ValueError: bad thing" in str(event["exception"])

    def test_default_stream_follows_sys_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        logkit.configure(fmt="json")
        logging.getLogger("x").warning("to the current stderr")
        assert "to the current stderr" in capsys.readouterr().err

    def test_unknown_level_is_refused(self) -> None:
        with pytest.raises(logkit.ConfigurationError):
            logkit.configure(level="LOUD", stream=io.StringIO())

    def test_reconfigure_replaces_our_handlers_only(self) -> None:
        foreign = logging.NullHandler()
        logging.getLogger().addHandler(foreign)
        logkit.configure(stream=io.StringIO())
        logkit.configure(stream=io.StringIO())
        ours = [h for h in logging.getLogger().handlers if getattr(h, "_logkit_handler", False)]
        assert len(ours) == 1
        assert foreign in logging.getLogger().handlers


class TestContext:
    def test_request_id_reaches_stdlib_records(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        with logkit.request_context("req-42", route="/v1/quotes") as rid:
            logging.getLogger("a").info("inside")
        logging.getLogger("a").info("outside")
        inside, outside = _json_lines(out.getvalue())
        assert rid == "req-42"
        assert inside["request_id"] == "req-42"
        assert inside["route"] == "/v1/quotes"
        assert "request_id" not in outside

    def test_bind_request_id_generates_and_cleans(self) -> None:
        rid = logkit.bind_request_id()
        assert len(rid) == 32
        assert logkit.get_request_id() == rid
        assert logkit.bind_request_id("ab c\n<script>") == "abcscript"
        logkit.clear_context()
        assert logkit.get_request_id() is None


class TestRedaction:
    @pytest.mark.parametrize(
        ("extra", "leak"),
        [
            pytest.param({"api_key": "K123456"}, "K123456", id="key-name"),
            pytest.param({"password": "hunter2"}, "hunter2", id="password"),
            pytest.param(
                {"url": "https://x.test/q?function=Q&apikey=ZZSECRET"}, "ZZSECRET", id="url"
            ),
            pytest.param({"u": "https://x.test/q?token=tok999&a=1"}, "tok999", id="url-token"),
            pytest.param({"headers": {"Authorization": "Bearer abc.def.ghi"}}, "abc.def", id="hdr"),
            pytest.param({"note": "Authorization: Bearer qwertyuiop"}, "qwertyuiop", id="free"),
            pytest.param({"dsn": "redis://user:s3cr3tpw@host:6379/0"}, "s3cr3tpw", id="userinfo"),
            pytest.param({"k": SecretStr("plain-secret")}, "plain-secret", id="secretstr"),
            pytest.param({"text": "sk-abcdefghijklmnopqrstuvwx"}, "sk-abcdefghij", id="openai"),
        ],
    )
    def test_secrets_never_rendered(self, extra: dict[str, object], leak: str) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        logging.getLogger("r").info("call", extra=extra)
        assert leak not in out.getvalue()
        assert "[REDACTED]" in out.getvalue()

    def test_registered_secret_is_masked_in_message_and_exception(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out, secrets=["tiny-but-secret-value"])
        try:
            raise RuntimeError("key tiny-but-secret-value refused")
        except RuntimeError:
            logging.getLogger("r").exception("with tiny-but-secret-value")
        assert "tiny-but-secret-value" not in out.getvalue()

    def test_ordinary_fields_are_kept(self) -> None:
        assert logkit.redact("max_tokens=50 keyboard=1 symbol=IBM") == (
            "max_tokens=50 keyboard=1 symbol=IBM"
        )


class TestFileSink:
    def test_writes_json_lines_and_rotates(self, tmp_path: Path) -> None:
        path = tmp_path / "logs" / "app.log"
        logkit.configure(fmt="json", file=path, stream=False, max_bytes=2000, backups=3)
        log = logging.getLogger("f")
        for i in range(100):
            log.info("event", extra={"i": i})
        files = sorted(tmp_path.joinpath("logs").glob("app.log*"))
        names = {f.name for f in files}
        assert {"app.log", "app.log.1", "app.log.2", "app.log.3"} <= names
        assert "app.log.4" not in names
        oldest_first = sorted(
            (f for f in files if not f.name.endswith(".lock")),
            key=lambda f: -int(f.suffix[1:]) if f.suffix[1:].isdigit() else 0,
        )
        kept = [int(str(e["i"])) for f in oldest_first for e in _json_lines(f.read_text())]
        assert kept == sorted(kept)
        assert kept[-1] == 99

    def test_unusable_folder_falls_back_to_stderr_with_one_warning(self, tmp_path: Path) -> None:
        blocker = tmp_path / "not-a-dir"
        blocker.write_text("a file where the log folder should be")
        err = io.StringIO()
        logkit.configure(fmt="json", file=blocker / "app.log", stream=err)
        for i in range(3):
            logging.getLogger("f").warning("kept", extra={"i": i})
        lines = err.getvalue().splitlines()
        warnings = [line for line in lines if "cannot write log file" in line]
        assert len(warnings) == 1
        events = [json.loads(line) for line in lines if line.startswith("{")]
        assert [e["i"] for e in events] == [0, 1, 2]

    @pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
    def test_read_only_folder_falls_back(self, tmp_path: Path) -> None:
        import os

        if os.geteuid() == 0:
            pytest.skip("root ignores permission bits")
        folder = tmp_path / "ro"
        folder.mkdir(mode=0o500)
        err = io.StringIO()
        logkit.configure(fmt="console", file=folder / "app.log", stream=err)
        logging.getLogger("f").warning("still shown")
        assert err.getvalue().count("cannot write log file") == 1
        assert "still shown" in err.getvalue()

    def test_several_processes_append_without_torn_lines(self, tmp_path: Path) -> None:
        path = tmp_path / "shared.log"
        workers, count = 4, 400
        procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "tests.logkit._writer",
                    str(path),
                    str(w),
                    str(count),
                    "60000",
                ],
                cwd=REPO,
            )
            for w in range(workers)
        ]
        for proc in procs:
            assert proc.wait(timeout=120) == 0
        seen: dict[str, list[int]] = {}
        for file in tmp_path.glob("shared.log*"):
            if file.name.endswith(".lock"):
                continue
            for line in file.read_text().splitlines():
                event = json.loads(line)  # a torn or interleaved line would not parse
                seen.setdefault(str(event["worker"]), []).append(int(event["seq"]))
        rotated = [f for f in tmp_path.glob("shared.log.*") if f.suffix[1:].isdigit()]
        assert len(rotated) >= 2  # rotation happened while they were writing
        assert {w: sorted(s) for w, s in seen.items()} == {
            str(w): list(range(count)) for w in range(workers)
        }


class TestCaptureLogs:
    def test_captures_both_apis_redacted(self) -> None:
        with capture_logs() as events:
            logging.getLogger("t").info("std", extra={"token": "abcdef"})
            structlog.get_logger("t").warning("struct", x=1)
        assert [(e["event"], e["log_level"]) for e in events] == [
            ("std", "info"),
            ("struct", "warning"),
        ]
        assert events[0]["token"] == "[REDACTED]"
        assert events[1]["x"] == 1


class TestRequestIdMiddleware:
    def _run(self, headers: list[tuple[bytes, bytes]]) -> tuple[list[dict[str, object]], str]:
        import asyncio

        from logkit import RequestIdMiddleware

        seen: list[str | None] = []
        sent: list[dict[str, object]] = []

        async def app(scope: object, receive: object, send: object) -> None:
            seen.append(logkit.get_request_id())
            logging.getLogger("bridge").info("handled")
            await send({"type": "http.response.start", "status": 200, "headers": []})  # type: ignore[operator]
            await send({"type": "http.response.body", "body": b""})  # type: ignore[operator]

        async def receive() -> dict[str, object]:
            return {"type": "http.request"}

        async def send(message: dict[str, object]) -> None:
            sent.append(message)

        scope = {"type": "http", "method": "GET", "path": "/v1/quotes/IBM", "headers": headers}
        asyncio.run(RequestIdMiddleware(app)(scope, receive, send))  # type: ignore[arg-type]
        assert seen[0] is not None
        return sent, seen[0]

    def test_incoming_id_is_bound_logged_and_echoed(self) -> None:
        with capture_logs() as events:
            sent, rid = self._run([(b"X-Request-ID", b"php-abc-1")])
        assert rid == "php-abc-1"
        [handled] = [e for e in events if e["logger"] == "bridge"]
        assert handled["request_id"] == "php-abc-1"
        assert handled["path"] == "/v1/quotes/IBM"
        assert (b"x-request-id", b"php-abc-1") in sent[0]["headers"]  # type: ignore[operator]
        assert logkit.get_request_id() is None

    def test_missing_id_is_generated(self) -> None:
        sent, rid = self._run([])
        assert len(rid) == 32
        assert (b"x-request-id", rid.encode()) in sent[0]["headers"]  # type: ignore[operator]


class TestSinkRecovery:
    def test_file_is_used_again_once_the_folder_is_back(self, tmp_path: Path) -> None:
        folder = tmp_path / "logs"
        folder.write_text("a file where the folder should be")
        now = [0.0]
        err = io.StringIO()
        handler = logkit.ConcurrentRotatingFileHandler(
            folder / "app.log", fallback=err, retry_after=30, clock=lambda: now[0]
        )
        try:
            handler.write_line("one\n")
            folder.unlink()
            handler.write_line("two\n")  # too early to retry
            now[0] = 31.0
            handler.write_line("three\n")
        finally:
            handler.close()
        assert err.getvalue().count("cannot write log file") == 1
        assert err.getvalue().splitlines()[1:] == ["one", "two"]
        assert (folder / "app.log").read_text() == "three\n"
