"""A webhook receiver on loopback that records what alert channels deliver."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class WebhookReceiver:
    """Accepts POSTs on ``http://127.0.0.1:<port>/hook`` and keeps their JSON bodies."""

    def __init__(self) -> None:
        self.received: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                with receiver._lock:
                    receiver.received.append(
                        {"headers": dict(self.headers.items()), "body": json.loads(raw or b"{}")}
                    )
                self.send_response(204)
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        """Where to point a webhook channel."""
        return f"http://127.0.0.1:{self._server.server_address[1]}/hook"

    def bodies_for(self, rule_id: str) -> list[dict[str, Any]]:
        """Bodies delivered for one rule."""
        with self._lock:
            return [r["body"] for r in self.received if json.dumps(r["body"]).find(rule_id) >= 0]

    def wait_for(self, rule_id: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Wait until ``count`` deliveries for ``rule_id`` arrived (or the timeout passed)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            bodies = self.bodies_for(rule_id)
            if len(bodies) >= count:
                return bodies
            time.sleep(0.05)
        return self.bodies_for(rule_id)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
