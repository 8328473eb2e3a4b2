"""Health checks: paths, disk, log size/growth, probes, state URL, HTTP, overall status."""

from __future__ import annotations

import socket
import threading
from typing import TYPE_CHECKING

import httpx

from logkit import (
    CheckResult,
    HealthChecker,
    check_disk_space,
    check_http,
    check_log_file,
    check_path,
    check_probe,
    check_state_url,
)

if TYPE_CHECKING:
    from pathlib import Path

    import pytest


class TestChecks:
    def test_missing_path_fails(self, tmp_path: Path) -> None:
        assert check_path(tmp_path / "nope").status == "fail"

    def test_world_writable_warns_and_private_file_readable_warns(self, tmp_path: Path) -> None:
        folder = tmp_path / "open"
        folder.mkdir()
        folder.chmod(0o777)
        assert check_path(folder).status == "warn"
        secret = tmp_path / "secrets.toml"
        secret.write_text("")
        secret.chmod(0o644)
        assert check_path(secret, private=True).status == "warn"
        secret.chmod(0o600)
        assert check_path(secret, private=True).status == "ok"

    def test_wrong_owner_fails(self, tmp_path: Path) -> None:
        result = check_path(tmp_path, owner=tmp_path.stat().st_uid + 1)
        assert result.status == "fail"
        assert "owned by" in result.detail

    def test_disk_space_thresholds(self, tmp_path: Path) -> None:
        assert check_disk_space(tmp_path, warn_below=0.0, fail_below=0.0).status == "ok"
        assert check_disk_space(tmp_path, warn_below=1.01, fail_below=0.0).status == "warn"
        assert (
            check_disk_space(tmp_path / "not" / "yet", warn_below=1.01, fail_below=1.01).status
            == "fail"
        )

    def test_log_size_and_growth(self, tmp_path: Path) -> None:
        log, state = tmp_path / "app.log", tmp_path / "growth.json"
        now = [1000.0]
        log.write_bytes(b"x" * 100)
        assert check_log_file(log, state_path=state, clock=lambda: now[0]).status == "ok"
        log.write_bytes(b"x" * 5000)
        now[0] += 3600
        grown = check_log_file(
            log, state_path=state, clock=lambda: now[0], warn_growth_per_hour=1000
        )
        assert grown.status == "warn"
        assert grown.data["growth_bytes_per_hour"] == 4900
        assert check_log_file(log, warn_bytes=10, fail_bytes=100).status == "fail"

    def test_probe_ok_error_and_timeout(self) -> None:
        assert check_probe("s", lambda: True).status == "ok"
        assert check_probe("s", lambda: False).status == "fail"

        def boom() -> None:
            raise ConnectionError("redis://:hunter2pass@h:1 refused")

        failed = check_probe("s", boom)
        assert failed.status == "fail"
        assert "hunter2pass" not in failed.detail
        gate = threading.Event()
        slow = check_probe("s", lambda: gate.wait(5), timeout=0.1)
        gate.set()
        assert slow.status == "fail"
        assert "within" in slow.detail

    def test_state_url_redis_ping_and_sqlite(self, tmp_path: Path) -> None:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]

        def answer() -> None:
            conn, _ = server.accept()
            with conn:
                conn.recv(64)
                conn.sendall(b"+PONG\r\n")

        thread = threading.Thread(target=answer)
        thread.start()
        assert check_state_url(f"redis://127.0.0.1:{port}/0").status == "ok"
        thread.join()
        server.close()
        assert check_state_url(f"redis://127.0.0.1:{port}/0", timeout=0.5).status == "fail"
        assert check_state_url(f"sqlite:///{tmp_path}/state").status == "ok"
        assert check_state_url("ftp://x").status == "fail"

    def test_http(self) -> None:
        def handler(request: httpx.Request) -> httpx.Response:
            return httpx.Response(503 if request.url.path == "/down" else 200)

        transport = httpx.MockTransport(handler)
        assert check_http("b", "http://bridge.test/up", transport=transport).status == "ok"
        down = check_http("b", "http://bridge.test/down?apikey=ZZSECRET", transport=transport)
        assert down.status == "fail"
        assert "ZZSECRET" not in down.detail


class TestChecker:
    def test_overall_status_and_events(self) -> None:
        def broken() -> CheckResult:
            raise RuntimeError("bad")

        report = HealthChecker(
            [lambda: CheckResult(name="a", status="ok", detail="fine"), broken], clock=lambda: 0.0
        ).run()
        assert report.status == "fail"
        assert report.http_status == 503
        assert [c.status for c in report.checks] == ["ok", "fail"]
        events = report.to_events()
        assert events[0] == {
            "type": "health",
            "check": "a",
            "status": "ok",
            "detail": "fine",
            "timestamp": "1970-01-01T00:00:00Z",
        }

    def test_warnings_degrade(self) -> None:
        report = HealthChecker([lambda: CheckResult(name="a", status="warn", detail="hm")]).run()
        assert (report.status, report.http_status) == ("degraded", 200)


def test_default_checks_include_a_readable_secrets_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from logkit._health import default_checks

    monkeypatch.delenv("SWITCHYARD_SECRETS_FILE", raising=False)
    secrets = tmp_path / "secrets.toml"
    secrets.write_text("")
    secrets.chmod(0o644)
    report = HealthChecker(default_checks(home=tmp_path)).run()
    check = next(c for c in report.checks if c.name == "secrets_file")
    assert check.status == "warn"
