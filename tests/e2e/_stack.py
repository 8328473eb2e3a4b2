"""The whole end-to-end stack: Redis, provider emulators, the bridge, MariaDB, WordPress."""

from __future__ import annotations

import json
import os
import secrets
import socket
import sys
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx

from tests.e2e._procs import Service, free_port, port_open, wait_until
from tests.e2e._wordpress import MariaDB, WordPressSite

if TYPE_CHECKING:
    from pathlib import Path

BINARIES = (
    "php",
    "phpunit",
    "mariadbd",
    "mariadb-install-db",
    "mariadb",
    "redis-server",
)


class Redis:
    """A private redis-server on a free port, no persistence."""

    def __init__(self, root: Path, binary: str) -> None:
        self.root = root
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.service = Service(
            "redis",
            [
                binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(root),
            ],
            log=root / "redis.log",
        )

    def start(self) -> None:
        """Start and wait for the port."""
        self.service.start()
        wait_until(lambda: port_open(self.port), timeout=20, what="redis-server")

    def stop(self) -> None:
        """Stop the server."""
        self.service.stop()


class Bridge:
    """`bridge serve` in a subprocess, its home in a temporary folder."""

    def __init__(
        self, root: Path, env: dict[str, str], *, token: str | None = None, uds: Path | None = None
    ) -> None:
        self.root = root
        self.uds = uds
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}" if uds is None else "http://localhost"
        self.token = token or "e2e-" + secrets.token_urlsafe(32)
        self.env = {
            **os.environ,
            "SWITCHYARD_HOME": str(root / "home"),
            "BRIDGE_TOKEN": self.token,
            "BRIDGE_HOST": "127.0.0.1",
            "BRIDGE_PORT": str(self.port),
            **env,
        }
        self.env.pop("BRIDGE_UDS", None)
        where = ["--port", str(self.port)] if uds is None else ["--uds", str(uds)]
        self.service = Service(
            "bridge",
            [sys.executable, "-m", "bridge", "serve", *where],
            env=self.env,
            cwd=root,
            log=root / "bridge.log",
        )

    def _listening(self) -> bool:
        """Whether the port or socket accepts connections (probed without httpx)."""
        if self.uds is None:
            return port_open(self.port)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.settimeout(0.2)
            return probe.connect_ex(str(self.uds)) == 0

    def _transport(self) -> httpx.HTTPTransport | None:
        return None if self.uds is None else httpx.HTTPTransport(uds=str(self.uds))

    def start(self) -> None:
        """Start and wait until /v1/health answers."""
        self.service.start()

        def answers() -> bool:
            if not self.service.alive():
                raise RuntimeError(f"bridge exited:\n{self.service.tail()}")
            if not self._listening():
                return False
            try:
                with httpx.Client(transport=self._transport(), timeout=1) as client:
                    return client.get(f"{self.url}/v1/health").status_code in (200, 503)
            except httpx.HTTPError:
                return False

        wait_until(answers, timeout=60, what="bridge", step=0.2)

    def stop(self) -> None:
        """Stop the bridge (its whole process group)."""
        self.service.stop()
        if self.uds is None:
            wait_until(lambda: not port_open(self.port), timeout=10, what="bridge port release")

    def client(self, **kwargs: Any) -> httpx.Client:
        """An authenticated client for the bridge."""
        return httpx.Client(
            base_url=self.url,
            headers={"Authorization": f"Bearer {self.token}"},
            timeout=10,
            transport=self._transport(),
            **kwargs,
        )


@dataclass
class Stack:
    """Everything a test needs, started in dependency order."""

    root: Path
    redis: Redis
    bridge: Bridge
    socket_bridge: Bridge
    db: MariaDB
    site: WordPressSite
    action_secret: str
    emulator_env: dict[str, str]
    pages: dict[str, int] = field(default_factory=dict)
    outputs: list[str] = field(default_factory=list)

    def get(self, url: str, **kwargs: Any) -> httpx.Response:
        """GET a site URL, keeping its body for the token-leak check at the end."""
        response = httpx.get(url, timeout=30, **kwargs)
        self.outputs.append(response.text)
        return response

    def page(self, name: str) -> httpx.Response:
        """GET one of the pages created at start-up."""
        return self.get(self.site.page_url(self.pages[name]))


PAGES = {
    "quote": '<p>IBM now: [switchyard_quote symbol="IBM"]</p>',
    "chart": '[switchyard_chart symbol="IBM" range="6mo"]',
    "five": "".join(
        f'<p>[switchyard_quote symbol="{s}"]</p>' for s in ("IBM", "MSFT", "AAPL", "GOOG", "AMZN")
    ),
    "five_const": "".join(
        f'<p>[switchyard_const_quote symbol="{s}"]</p>'
        for s in ("IBM", "MSFT", "AAPL", "GOOG", "AMZN")
    ),
    "legacy": '<p>[legacy_price symbol="IBM"] [legacy_price symbol="ZZZNOPE"]</p>',
    "stale": '<p>[switchyard_quote symbol="MSFT"]</p>[switchyard_chart symbol="MSFT" range="1mo"]',
}


def build_stack(
    root: Path, binaries: dict[str, str], emulator_env: dict[str, str], *, debug: bool = True
) -> Stack:
    """Create (not start) every part; the ports are chosen here so each can name the others.

    Args:
        root: Folder for every part's files.
        binaries: Paths of BINARIES.
        emulator_env: MARKETDATA_*_URL variables of the provider emulators.
        debug: WP_DEBUG on (the tests read debug.log); off for production-like benchmarks.
    """
    redis = Redis(root, binaries["redis-server"])
    db_root = root / "mariadb"
    db_root.mkdir()
    db = MariaDB(db_root, binaries)
    site_root = root / "site"
    site_root.mkdir()
    site = WordPressSite(site_root, db, binaries["php"], debug=debug)
    action_secret = secrets.token_hex(32)
    rules = root / "rules.json"
    rules.write_text(
        json.dumps(
            {
                "actions": {
                    "wp_flush": {
                        "type": "wordpress",
                        "url": site.url,
                        "secret": action_secret,
                        "action": "flush_cache",
                        "timeout": 5,
                    },
                },
                "channels": {
                    "wp": {
                        "type": "wordpress",
                        "url": site.url,
                        "secret": action_secret,
                        "timeout": 5,
                    },
                },
                "rules": [],
            }
        )
    )
    bridge_root = root / "bridge"
    bridge_root.mkdir()
    env = {
        **emulator_env,
        "SWITCHYARD_STATE_URL": redis.url,
        "ALERTS_RULES": str(rules),
        "ALPHAVANTAGE_API_KEY": "e2e-av-key",
        "FINNHUB_API_KEY": "e2e-fh-key",
    }
    bridge = Bridge(bridge_root, env)
    # A second bridge on a unix socket, same state and token: proves the socket transports.
    socket_root = root / "bridge-uds"
    socket_root.mkdir()
    socket_bridge = Bridge(socket_root, env, token=bridge.token, uds=socket_root / "bridge.sock")
    return Stack(root, redis, bridge, socket_bridge, db, site, action_secret, emulator_env)


def start_stack(stack: Stack) -> None:
    """Start Redis, the bridge, MariaDB and WordPress; install and configure the site."""
    stack.redis.start()
    stack.bridge.start()
    stack.socket_bridge.start()
    stack.db.start()
    stack.site.write_files(
        {
            "SWITCHYARD_BRIDGE_URL": stack.bridge.url,
            "SWITCHYARD_BRIDGE_TOKEN": stack.bridge.token,
            "SWITCHYARD_ACTION_SECRET": stack.action_secret,
        }
    )
    stack.site.start(workers=4)
    stack.site.install()
    stack.site.activate_plugin()
    for name, content in PAGES.items():
        stack.pages[name] = stack.site.create_page(name, content)


def stop_stack(stack: Stack) -> None:
    """Stop every part in reverse order (each stop is safe when never started); never raises."""
    for part in (stack.site, stack.db, stack.socket_bridge, stack.bridge, stack.redis):
        try:
            part.stop()
        except Exception as exc:
            print(f"e2e cleanup: stopping {type(part).__name__} failed: {exc}", file=sys.stderr)
