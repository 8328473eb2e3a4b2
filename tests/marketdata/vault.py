"""A small local server speaking HashiCorp Vault's KV version 2 HTTP API.

Implements what a KV v2 client uses: ``GET/POST /v1/<mount>/data/<path>`` with the
``X-Vault-Token`` header, the ``{"data": {"data": ..., "metadata": ...}}`` read envelope,
``{"errors": [...]}`` bodies with 403 for a bad token and 404 for a missing secret.
"""

from __future__ import annotations

import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Self


class VaultServer:
    """Vault KV v2 on 127.0.0.1 with one mount (``secret`` by default) and one token."""

    def __init__(self, token: str, mount: str = "secret") -> None:
        self.token = token
        self.mount = mount
        self.secrets: dict[str, list[dict[str, Any]]] = {}
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: int, body: dict[str, Any] | None) -> None:
                data = b"" if body is None else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _path(self) -> str | None:
                prefix = f"/v1/{server.mount}/data/"
                if self.headers.get("X-Vault-Token") != server.token:
                    self._reply(403, {"errors": ["permission denied"]})
                    return None
                if not self.path.startswith(prefix):
                    self._reply(404, {"errors": []})
                    return None
                return self.path[len(prefix) :].split("?")[0]

            def do_GET(self) -> None:
                server.requests += 1
                path = self._path()
                if path is None:
                    return
                versions = server.secrets.get(path)
                if not versions:
                    self._reply(404, {"errors": []})
                    return
                latest = versions[-1]
                self._reply(
                    200,
                    {
                        "request_id": str(uuid.uuid4()),
                        "lease_id": "",
                        "renewable": False,
                        "lease_duration": 0,
                        "data": {
                            "data": latest["data"],
                            "metadata": {
                                "created_time": latest["created_time"],
                                "custom_metadata": None,
                                "deletion_time": "",
                                "destroyed": False,
                                "version": len(versions),
                            },
                        },
                        "wrap_info": None,
                        "warnings": None,
                        "auth": None,
                    },
                )

            def do_POST(self) -> None:
                server.requests += 1
                path = self._path()
                if path is None:
                    return
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                if not isinstance(body.get("data"), dict):
                    self._reply(400, {"errors": ["no data provided"]})
                    return
                created = datetime.now(UTC).isoformat().replace("+00:00", "Z")
                server.secrets.setdefault(path, []).append(
                    {"data": body["data"], "created_time": created}
                )
                version = len(server.secrets[path])
                self._reply(
                    200,
                    {
                        "data": {
                            "created_time": created,
                            "deletion_time": "",
                            "destroyed": False,
                            "version": version,
                        }
                    },
                )

            do_PUT = do_POST  # noqa: N815 - http.server's naming

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
