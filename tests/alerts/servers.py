"""A local HTTP receiver that records requests and replays scripted (or fixture) answers."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

if TYPE_CHECKING:
    from pathlib import Path
    from types import TracebackType


class FakeClock:
    """A settable clock: call it for the time, ``advance`` it."""

    def __init__(self, start: float) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> float:
        """Move forward and return the new time."""
        self.now += seconds
        return self.now


@dataclass
class Answer:
    """One scripted HTTP answer."""

    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""


@dataclass
class Request:
    """One recorded request."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: bytes

    def json(self) -> dict[str, object]:
        """The body as JSON."""
        data = json.loads(self.body)
        assert isinstance(data, dict)
        return data


def load_http_fixture(path: Path) -> Answer:
    """Parse a ``.http`` fixture (comment lines, optional ``< `` prefixes) into an answer."""
    lines = [
        line[2:] if line.startswith("< ") else line
        for line in path.read_text(encoding="utf-8").splitlines()
        if not line.startswith("#")
    ]
    status = int(lines[0].split()[1])
    headers: dict[str, str] = {}
    i = 1
    while i < len(lines) and lines[i].strip() and ":" in lines[i] and not lines[i].startswith("{"):
        name, _, value = lines[i].partition(":")
        headers[name.strip()] = value.strip()
        i += 1
    body = "\n".join(lines[i:]).strip().encode()
    return Answer(status, headers, body)


class Receiver:
    """Threaded HTTP server on 127.0.0.1:<free port>.

    ``script`` answers are used in order, then ``default``.
    """

    def __init__(self, default: Answer | None = None) -> None:
        self.default = default or Answer(200, {"Content-Type": "text/plain"}, b"ok")
        self.script: list[Answer] = []
        self.requests: list[Request] = []
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                split = urlsplit(self.path)
                with receiver.lock:
                    receiver.requests.append(
                        Request(
                            "POST",
                            split.path,
                            parse_qs(split.query),
                            {k.lower(): v for k, v in self.headers.items()},
                            body,
                        )
                    )
                    answer = receiver.script.pop(0) if receiver.script else receiver.default
                self.send_response(answer.status)
                for name, value in answer.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(answer.body)))
                self.end_headers()
                self.wfile.write(answer.body)

            def log_message(self, format: str, *args: object) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.01}, daemon=True
        )

    @property
    def url(self) -> str:
        """Base URL of the server."""
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}"

    def __enter__(self) -> Receiver:
        self.thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.server.shutdown()
        self.server.server_close()
