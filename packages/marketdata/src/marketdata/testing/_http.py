"""The REST emulator base: a threaded HTTP server with faults, counters and control routes."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from marketdata.testing._faults import Fault, FaultQueue

if TYPE_CHECKING:
    from collections.abc import Iterable
_UNKNOWN = re.compile(r"^(ZZZ|INVALID|UNKNOWN)")


@dataclass(frozen=True)
class RecordedCall:
    """One upstream call as the emulator saw it (never the key itself)."""

    endpoint: str
    symbol: str | None
    params: dict[str, str]
    at: float
    fault: str | None


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True  # headers and body are separate writes
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        return  # quiet: tests read counters, not access logs

    def do_GET(self) -> None:
        self.server.emulator._handle(self, "GET")

    def do_POST(self) -> None:
        self.server.emulator._handle(self, "POST")


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # benchmarks open hundreds of connections at once
    allow_reuse_address = True
    emulator: HTTPEmulator

    def handle_error(self, request: Any, client_address: Any) -> None:
        return  # resets and client disconnects are part of the job


class HTTPEmulator:
    """Base of the REST emulators: a threaded HTTP server on 127.0.0.1.

    Args:
        latency: Seconds added to every answer.
        keys: Accepted API keys (None accepts any non-empty key).
        unknown_symbols: Symbols answered as unknown (besides ``ZZZ*``, ``INVALID*``).
        premium: Endpoints answered as premium-only.
        host: Interface to bind.
        port: Port (0 picks a free one).

    Use as a context manager (``with AlphaVantageEmulator() as av: av.url``), or call
    :meth:`start` / :meth:`stop`. ``calls`` counts upstream calls (faulted ones included);
    :meth:`inject` queues faults, each consumed by one call.
    """

    name = "emulator"
    path_prefix = ""

    def __init__(
        self,
        *,
        latency: float = 0.0,
        keys: Iterable[str] | None = None,
        unknown_symbols: Iterable[str] = (),
        premium: Iterable[str] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.latency = latency
        self.keys = set(keys) if keys is not None else None
        self.unknown_symbols = {s.upper() for s in unknown_symbols}
        self.premium = set(premium)
        self.faults = FaultQueue()
        self._host, self._port = host, port
        self._log: list[RecordedCall] = []
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._hits: dict[str, deque[float]] = {}

    # ----- lifecycle -------------------------------------------------------------
    def start(self) -> Self:
        """Bind and serve in a background thread."""
        server = _Server((self._host, self._port), _Handler)
        server.emulator = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        """The bound port."""
        if self._server is None:
            raise RuntimeError("emulator not started")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        """The base URL to configure the client with."""
        return f"http://{self._host}:{self.port}{self.path_prefix}"

    # ----- counters and faults -----------------------------------------------------
    @property
    def calls(self) -> int:
        """Upstream calls served so far (control requests excluded)."""
        with self._lock:
            return len(self._log)

    @property
    def call_log(self) -> list[RecordedCall]:
        """Every upstream call, oldest first."""
        with self._lock:
            return list(self._log)

    def count(self, endpoint: str | None = None, symbol: str | None = None) -> int:
        """Calls to ``endpoint`` (and ``symbol``), or all calls."""
        with self._lock:
            return sum(
                1
                for call in self._log
                if (endpoint is None or call.endpoint == endpoint)
                and (symbol is None or call.symbol == symbol)
            )

    def inject(self, *faults: Fault, times: int = 1) -> None:
        """Queue faults; each is played on the next call it matches."""
        self.faults.push(*faults, times=times)

    def reset(self) -> None:
        """Forget calls, pending faults and limit windows."""
        with self._lock:
            self._log.clear()
            self._hits.clear()
        self.faults.clear()

    def _over_limit(self, key: str, limits: list[tuple[int, float]]) -> bool:
        """Record a call for ``key`` and say whether it breaks one of ``limits``."""
        now = time.monotonic()
        with self._lock:
            window = self._hits.setdefault(key, deque())
            window.append(now)
            longest = max((w for _, w in limits), default=0.0)
            while window and window[0] < now - longest:
                window.popleft()
            return any(sum(1 for t in window if t >= now - w) > n for n, w in limits)

    # ----- HTTP plumbing ---------------------------------------------------------
    def _handle(self, handler: _Handler, method: str) -> None:
        parts = urlsplit(handler.path)
        params = {k: v[-1] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        path = parts.path
        if self.path_prefix and path.startswith(self.path_prefix):
            path = path[len(self.path_prefix) :]
        # control routes answer at the root and under the printed URL (Finnhub's /api/v1)
        if path.startswith("/_emulator/"):
            self._control(handler, method, path, handler)
            return
        endpoint, symbol = self._identify(path, params)
        fault = self.faults.take(endpoint)
        safe = {k: v for k, v in params.items() if k not in ("apikey", "token")}
        with self._lock:
            self._log.append(
                RecordedCall(endpoint, symbol, safe, time.time(), fault.kind if fault else None)
            )
        delay = self.latency + (fault.seconds if fault and fault.kind == "slow" else 0.0)
        if delay:
            time.sleep(delay)
        if fault is not None and fault.kind == "reset":
            self._reset(handler)
            return
        status, headers, body = self._answer(handler, endpoint, symbol, params, fault)
        self._send(handler, status, headers, body)

    @staticmethod
    def _send(handler: _Handler, status: int, headers: dict[str, str], body: bytes) -> None:
        try:
            handler.send_response(status)
            headers = {"Content-Type": "application/json", **headers}
            for name, value in headers.items():
                handler.send_header(name, value)
            handler.send_header("Content-Length", str(len(body)))
            handler.end_headers()
            handler.wfile.write(body)
        except OSError:
            handler.close_connection = True

    @staticmethod
    def _reset(handler: _Handler) -> None:
        sock: socket.socket = handler.request
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        handler.close_connection = True

    def _control(self, handler: _Handler, method: str, path: str, _: _Handler) -> None:
        if path == "/_emulator/calls":
            log = [
                {"endpoint": c.endpoint, "symbol": c.symbol, "at": c.at, "fault": c.fault}
                for c in self.call_log
            ]
            body = {"calls": len(log), "log": log, "pending_faults": len(self.faults)}
            self._send(handler, 200, {}, json.dumps(body).encode())
            return
        if path == "/_emulator/reset" and method == "POST":
            self.reset()
            self._send(handler, 200, {}, b'{"ok":true}')
            return
        if path == "/_emulator/faults" and method == "POST":
            length = int(handler.headers.get("Content-Length") or 0)
            try:
                data = json.loads(handler.rfile.read(length) or b"[]")
                items = data if isinstance(data, list) else [data]
                faults = [Fault.from_json(item) for item in items]
            except (ValueError, TypeError, AttributeError) as exc:
                self._send(handler, 422, {}, json.dumps({"error": str(exc)}).encode())
                return
            self.faults.push(*faults)
            self._send(handler, 200, {}, json.dumps({"queued": len(faults)}).encode())
            return
        self._send(handler, 404, {}, b'{"error":"not found"}')

    def is_unknown(self, symbol: str | None) -> bool:
        """Whether ``symbol`` is answered as unknown."""
        return symbol is not None and (
            symbol.upper() in self.unknown_symbols or bool(_UNKNOWN.match(symbol.upper()))
        )

    # ----- provider specifics ----------------------------------------------------
    def _identify(self, path: str, params: dict[str, str]) -> tuple[str, str | None]:
        raise NotImplementedError

    def _answer(
        self,
        handler: _Handler,
        endpoint: str,
        symbol: str | None,
        params: dict[str, str],
        fault: Fault | None,
    ) -> tuple[int, dict[str, str], bytes]:
        raise NotImplementedError


def json_body(data: Any) -> bytes:
    return json.dumps(data, indent=4).encode()
