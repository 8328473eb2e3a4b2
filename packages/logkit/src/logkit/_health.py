"""Health checks: paths, log files, disk space, state store, bridge and providers.

Each check is a small function returning a :class:`CheckResult`; :class:`HealthChecker` runs a
list of them (a failing check never stops the others) and returns a :class:`HealthReport` that
the CLI prints and the bridge's ``/v1/health`` can return as is.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import datetime as dt
import os
import shutil
import socket
import stat
import time
from collections.abc import Callable, Sequence
from functools import partial
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, Field

from logkit._redact import redact
from logkit._templates import read_json, write_json_atomic

Status = Literal["ok", "warn", "fail"]
_RANK = {"ok": 0, "warn": 1, "fail": 2}


class CheckResult(BaseModel):
    """The outcome of one check.

    Attributes:
        name: what was checked, e.g. ``disk_space`` or ``path:/var/log/app``.
        status: ``ok``, ``warn`` or ``fail``.
        detail: a sentence for humans (never a secret).
        data: figures behind it (sizes, free bytes, latency…).
    """

    name: str
    status: Status
    detail: str
    data: dict[str, Any] = Field(default_factory=dict)


class HealthReport(BaseModel):
    """All checks and the overall status (``ok``, ``degraded`` on warnings, ``fail``)."""

    status: Literal["ok", "degraded", "fail"]
    checks: list[CheckResult]
    generated_at: dt.datetime

    @property
    def http_status(self) -> int:
        """200 unless a check failed (503)."""
        return 503 if self.status == "fail" else 200

    def to_events(self) -> list[dict[str, Any]]:
        """One ``health`` event per check (CONTRACTS.md)."""
        stamp = self.generated_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return [
            {
                "type": "health",
                "check": c.name,
                "status": c.status,
                "detail": c.detail,
                "timestamp": stamp,
            }
            for c in self.checks
        ]


Check = Callable[[], CheckResult]


def check_path(
    path: str | os.PathLike[str],
    *,
    name: str | None = None,
    writable: bool = True,
    private: bool = False,
    owner: int | None = None,
) -> CheckResult:
    """Check that a path exists, is writable when it must be, and has sane permissions.

    Args:
        path: a file or folder.
        name: the check's name (default ``path:<path>``).
        writable: fail when the process cannot write to it.
        private: warn when group or others may read it (secrets files, state).
        owner: fail when it is not owned by this uid.
    """
    p = Path(path).expanduser()
    label = name or f"path:{p}"
    try:
        st = p.stat()
    except FileNotFoundError:
        return CheckResult(name=label, status="fail", detail=f"{p} does not exist")
    except OSError as exc:
        return CheckResult(name=label, status="fail", detail=f"{p}: {exc.strerror}")
    mode = stat.S_IMODE(st.st_mode)
    data = {"mode": oct(mode), "uid": st.st_uid, "gid": st.st_gid}
    problems: list[tuple[Status, str]] = []
    if writable and not os.access(p, os.W_OK):
        problems.append(("fail", "not writable by this process"))
    if owner is not None and st.st_uid != owner:
        problems.append(("fail", f"owned by uid {st.st_uid}, expected {owner}"))
    if mode & stat.S_IWOTH and not (p.is_dir() and mode & stat.S_ISVTX):
        problems.append(("warn", f"world-writable ({oct(mode)})"))
    if private and mode & (stat.S_IRWXG | stat.S_IRWXO):
        problems.append(("warn", f"readable by group or others ({oct(mode)})"))
    if not problems:
        return CheckResult(name=label, status="ok", detail=f"{p} {oct(mode)}", data=data)
    worst = max(problems, key=lambda x: _RANK[x[0]])[0]
    return CheckResult(
        name=label, status=worst, detail=f"{p}: " + "; ".join(m for _, m in problems), data=data
    )


def check_disk_space(
    path: str | os.PathLike[str], *, warn_below: float = 0.10, fail_below: float = 0.03
) -> CheckResult:
    """Check the free space of the file system holding ``path`` (as a share of its size)."""
    p = Path(path).expanduser()
    probe = p
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        usage = shutil.disk_usage(probe)
    except OSError as exc:
        return CheckResult(name="disk_space", status="fail", detail=f"{probe}: {exc.strerror}")
    free = usage.free / usage.total if usage.total else 0.0
    status: Status = "fail" if free < fail_below else "warn" if free < warn_below else "ok"
    return CheckResult(
        name="disk_space",
        status=status,
        detail=f"{free:.1%} free ({usage.free // 2**20} MiB) on the file system of {probe}",
        data={"free_bytes": usage.free, "total_bytes": usage.total, "free_ratio": round(free, 4)},
    )


def check_log_file(
    path: str | os.PathLike[str],
    *,
    warn_bytes: int = 512 * 2**20,
    fail_bytes: int = 4 * 2**30,
    warn_growth_per_hour: int = 100 * 2**20,
    state_path: str | os.PathLike[str] | None = None,
    clock: Callable[[], float] = time.time,
) -> CheckResult:
    """Check a log file's size and, with ``state_path``, its growth since the last check.

    A missing log file is ``ok`` (nothing logged yet); one that cannot be written is ``fail``.
    """
    p = Path(path).expanduser()
    label = f"log:{p}"
    if not p.exists():
        parent_ok = os.access(p.parent if p.parent.exists() else Path(), os.W_OK)
        status: Status = "ok" if parent_ok else "fail"
        return CheckResult(name=label, status=status, detail=f"{p} not created yet")
    size = p.stat().st_size
    now = clock()
    data: dict[str, Any] = {"size_bytes": size}
    growth = None
    if state_path is not None:
        state_file = Path(state_path)
        try:
            previous = read_json(state_file) if state_file.exists() else {}
        except Exception:
            previous = {}
        before = previous.get(str(p)) if isinstance(previous, dict) else None
        if isinstance(before, dict) and now > float(before.get("at", now)):
            hours = (now - float(before["at"])) / 3600
            growth = max(size - int(before.get("size", 0)), 0) / max(hours, 1e-9)
            data["growth_bytes_per_hour"] = round(growth)
        if isinstance(previous, dict):
            previous[str(p)] = {"size": size, "at": now}
            with contextlib.suppress(OSError):
                write_json_atomic(state_file, previous)
    problems: list[tuple[Status, str]] = []
    if not os.access(p, os.W_OK):
        problems.append(("fail", "not writable"))
    if size >= fail_bytes:
        problems.append(("fail", f"{size // 2**20} MiB (limit {fail_bytes // 2**20} MiB)"))
    elif size >= warn_bytes:
        problems.append(("warn", f"{size // 2**20} MiB, consider rotation"))
    if growth is not None and growth >= warn_growth_per_hour:
        problems.append(("warn", f"growing {growth / 2**20:.1f} MiB/h (a crash loop?)"))
    if not problems:
        return CheckResult(name=label, status="ok", detail=f"{size} bytes", data=data)
    worst = max(problems, key=lambda x: _RANK[x[0]])[0]
    return CheckResult(
        name=label, status=worst, detail="; ".join(m for _, m in problems), data=data
    )


def check_probe(name: str, probe: Callable[[], object], *, timeout: float = 5.0) -> CheckResult:
    """Run a callable (e.g. a state-store ping given by the bridge) with a time limit.

    The probe passes when it returns without raising and does not return ``False``.
    """
    start = time.perf_counter()
    pool = concurrent.futures.ThreadPoolExecutor(max_workers=1)
    try:
        result = pool.submit(probe).result(timeout=timeout)
    except concurrent.futures.TimeoutError:
        return CheckResult(name=name, status="fail", detail=f"no answer within {timeout:g} s")
    except Exception as exc:
        return CheckResult(name=name, status="fail", detail=redact(f"{type(exc).__name__}: {exc}"))
    finally:
        pool.shutdown(wait=False)
    latency = round((time.perf_counter() - start) * 1000, 1)
    if result is False:
        return CheckResult(name=name, status="fail", detail="probe answered False")
    return CheckResult(
        name=name, status="ok", detail=f"answered in {latency} ms", data={"latency_ms": latency}
    )


def check_state_url(url: str, *, timeout: float = 2.0) -> CheckResult:
    """Check a ``SWITCHYARD_STATE_URL``: a Redis ``PING`` or a writable SQLite folder."""
    parts = urlsplit(url)
    if parts.scheme in ("redis", "rediss"):
        host, port = parts.hostname or "127.0.0.1", parts.port or 6379

        def ping() -> bool:
            with socket.create_connection((host, port), timeout=timeout) as sock:
                sock.settimeout(timeout)
                sock.sendall(b"PING\r\n")
                answer = sock.recv(64)
            if answer.startswith((b"+PONG", b"-NOAUTH")):
                return True
            raise ConnectionError(f"unexpected answer {answer[:20]!r}")

        result = check_probe("state_store", ping, timeout=timeout + 1)
        result.detail = f"redis {host}:{port}: {result.detail}"
        return result
    if parts.scheme == "sqlite":
        folder = Path("/" + parts.path.lstrip("/")) if parts.path else Path()
        return check_path(folder if folder.exists() else folder.parent, name="state_store")
    return CheckResult(
        name="state_store", status="fail", detail=f"unknown state URL scheme {parts.scheme!r}"
    )


def check_http(
    name: str,
    url: str,
    *,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> CheckResult:
    """Check that an HTTP endpoint answers (any status below 500) within ``timeout``."""
    safe_url = redact(url)
    start = time.perf_counter()
    try:
        with httpx.Client(timeout=timeout, transport=transport, follow_redirects=False) as client:
            response = client.get(url)
    except httpx.HTTPError as exc:
        return CheckResult(name=name, status="fail", detail=f"{safe_url}: {type(exc).__name__}")
    latency = round((time.perf_counter() - start) * 1000, 1)
    data = {"status_code": response.status_code, "latency_ms": latency}
    if response.status_code >= 500:
        return CheckResult(
            name=name,
            status="fail",
            detail=f"{safe_url} answered {response.status_code}",
            data=data,
        )
    return CheckResult(
        name=name,
        status="ok",
        detail=f"{safe_url} answered {response.status_code} in {latency} ms",
        data=data,
    )


class HealthChecker:
    """Runs checks and summarises them.

    Args:
        checks: callables returning a :class:`CheckResult`; one that raises counts as ``fail``.
        clock: time source for ``generated_at``.

    Example:
        >>> report = HealthChecker([lambda: check_disk_space("/")]).run()
        >>> report.checks[0].name
        'disk_space'
    """

    def __init__(
        self, checks: Sequence[Check] = (), *, clock: Callable[[], float] = time.time
    ) -> None:
        self.checks = list(checks)
        self._clock = clock

    def add(self, check: Check) -> None:
        """Add one more check."""
        self.checks.append(check)

    def run(self) -> HealthReport:
        """Run every check; one failing never stops the others."""
        results: list[CheckResult] = []
        for check in self.checks:
            try:
                results.append(check())
            except Exception as exc:
                name = getattr(check, "__name__", "check")
                results.append(
                    CheckResult(
                        name=name, status="fail", detail=redact(f"{type(exc).__name__}: {exc}")
                    )
                )
        worst = max((_RANK[r.status] for r in results), default=0)
        overall: Literal["ok", "degraded", "fail"] = ("ok", "degraded", "fail")[worst]
        return HealthReport(
            status=overall,
            checks=results,
            generated_at=dt.datetime.fromtimestamp(self._clock(), tz=dt.UTC),
        )


def default_checks(
    *,
    home: Path,
    paths: Sequence[Path] = (),
    logs: Sequence[Path] = (),
    state_url: str | None = None,
    bridge_url: str | None = None,
    providers: Sequence[str] = (),
    growth_state: Path | None = None,
    timeout: float = 5.0,
) -> list[Check]:
    """The checks ``logkit health`` runs: home folder, disk, logs, state, bridge, providers."""
    checks: list[Check] = [
        lambda: check_path(home, name="home"),
        lambda: check_disk_space(home),
    ]
    secrets = Path(os.environ.get("SWITCHYARD_SECRETS_FILE") or home / "secrets.toml")
    if secrets.exists():
        checks.append(
            partial(check_path, secrets, name="secrets_file", writable=False, private=True)
        )
    checks.extend(partial(check_path, path) for path in paths)
    checks.extend(partial(check_log_file, log, state_path=growth_state) for log in logs)
    state = state_url or "sqlite:///" + str(home / "state").lstrip("/")
    checks.append(lambda: check_state_url(state, timeout=timeout))
    if bridge_url:
        health = bridge_url.rstrip("/") + "/v1/health"
        checks.append(lambda: check_http("bridge", health, timeout=timeout))
    for url in providers:
        host = urlsplit(url).hostname or url
        checks.append(partial(check_http, f"provider:{host}", url, timeout=timeout))
    return checks
