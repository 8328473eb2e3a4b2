"""Run a real ``bridge serve`` in a subprocess and talk to it over TCP or a unix socket."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

import httpx

if TYPE_CHECKING:
    from collections.abc import Iterator, Mapping
    from pathlib import Path
from typing import Any

TOKEN = "test-token-0123456789abcdef-XYZ"


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the kernel picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@dataclass
class RunningBridge:
    """A bridge process and how to reach it."""

    process: subprocess.Popen[bytes]
    base_url: str
    home: Path
    uds: Path | None
    token: str
    log_path: Path

    def client(self, *, token: str | None = None, timeout: float = 10.0) -> httpx.Client:
        """An httpx client for this bridge, sending ``token`` (the right one by default)."""
        headers = {"Authorization": f"Bearer {token or self.token}"}
        transport = httpx.HTTPTransport(uds=str(self.uds)) if self.uds else None
        return httpx.Client(
            base_url=self.base_url, headers=headers, transport=transport, timeout=timeout
        )

    def anonymous(self, *, timeout: float = 10.0) -> httpx.Client:
        """An httpx client that sends no token."""
        transport = httpx.HTTPTransport(uds=str(self.uds)) if self.uds else None
        return httpx.Client(base_url=self.base_url, transport=transport, timeout=timeout)

    def output(self) -> str:
        """What the process printed so far (stdout and stderr)."""
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def _wait_ready(bridge: RunningBridge, deadline: float) -> None:
    last: Exception | None = None
    while time.monotonic() < deadline:
        if bridge.process.poll() is not None:
            raise RuntimeError(f"bridge exited early:\n{bridge.output()}")
        if bridge.uds is not None and not bridge.uds.is_socket():
            # httpcore leaks the socket when a unix connect fails: wait for the file first.
            time.sleep(0.1)
            continue
        try:
            with bridge.anonymous(timeout=2.0) as client:
                if client.get("/v1/health").status_code in (200, 503):
                    return
        except httpx.TransportError as exc:
            last = exc
        time.sleep(0.1)
    raise RuntimeError(f"bridge not ready: {last!r}\n{bridge.output()}")


@contextmanager
def run_bridge(
    home: Path,
    *,
    uds: bool = False,
    workers: int = 1,
    token: str | None = TOKEN,
    env: Mapping[str, str] | None = None,
    args: tuple[str, ...] = (),
    startup_timeout: float = 60.0,
) -> Iterator[RunningBridge]:
    """Start ``python -m bridge serve`` with ``SWITCHYARD_HOME=home``; stop it on exit.

    Args:
        home: the data folder (state, token file, logs).
        uds: listen on a unix socket under ``home`` instead of a TCP port.
        workers: uvicorn worker processes.
        token: ``BRIDGE_TOKEN``; None to let the bridge generate its token file.
        env: more environment variables.
        args: more command-line arguments.
        startup_timeout: seconds to wait for ``/v1/health``.

    Yields:
        The running bridge.
    """
    home.mkdir(parents=True, exist_ok=True)
    child_env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("BRIDGE_", "SWITCHYARD_", "PROMETHEUS_"))
    }
    child_env.update({"SWITCHYARD_HOME": str(home), "PYTHONUNBUFFERED": "1"})
    child_env.update(env or {})
    if token is not None:
        child_env["BRIDGE_TOKEN"] = token
    command = [sys.executable, "-m", "bridge", "serve", "--workers", str(workers), *args]
    socket_path: Path | None = None
    if uds:
        socket_path = home / "bridge.sock"
        command += ["--uds", str(socket_path)]
        base_url = "http://bridge"
    else:
        port = free_port()
        command += ["--port", str(port)]
        base_url = f"http://127.0.0.1:{port}"
    log_path = home / "serve.out"
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command, env=child_env, stdout=log, stderr=subprocess.STDOUT, cwd=home
        )
    bridge = RunningBridge(process, base_url, home, socket_path, token or "", log_path)
    try:
        _wait_ready(bridge, time.monotonic() + startup_timeout)
        if token is None:
            bridge.token = (home / "bridge" / "token").read_text(encoding="utf-8").strip()
        yield bridge
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def raw_http(bridge: RunningBridge, request: bytes, timeout: float = 10.0) -> bytes:
    """Send raw bytes to the bridge (TCP or unix socket) and return what it answers."""
    if bridge.uds is not None:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        address: Any = str(bridge.uds)
    else:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        host, _, port = bridge.base_url.removeprefix("http://").partition(":")
        address = (host, int(port))
    with sock:
        sock.settimeout(timeout)
        sock.connect(address)
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except TimeoutError:
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and _complete(b"".join(chunks)):
                break
        return b"".join(chunks)


def _complete(data: bytes) -> bool:
    head, _, body = data.partition(b"\r\n\r\n")
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return False
