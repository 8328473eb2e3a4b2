"""A local Finnhub WebSocket (trades) emulator."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, Self
from urllib.parse import parse_qs, urlsplit

from websockets.asyncio.server import Server, ServerConnection, serve
from websockets.datastructures import Headers
from websockets.exceptions import ConnectionClosed
from websockets.http11 import Request, Response

from marketdata.testing import _data

TOO_MANY = {"msg": "Subscribing to too many symbols", "type": "error"}


class FinnhubWebSocketEmulator:
    """Speaks Finnhub's trade stream: ``subscribe``/``unsubscribe``, batched ``trade`` frames,
    ``{"type":"ping"}`` frames, and the ``error`` frame for too many symbols.

    Args:
        keys: Accepted tokens (``?token=``); None accepts any non-empty token.
        trade_interval: Seconds between trade frames per connection.
        ping_interval: Seconds between ``ping`` frames.
        max_symbols: Subscriptions per connection before the ``error`` frame.
        host: Interface. port: Port (0 picks one).

    ``connections`` counts accepted connections, ``subscriptions`` lists every subscribe
    message's symbol in order; :meth:`drop_connections` cuts every client off (reconnect tests),
    :meth:`refuse_next` makes the next handshakes fail with HTTP 503, :meth:`close_next` accepts
    and at once closes the next connections.
    """

    def __init__(
        self,
        *,
        keys: set[str] | None = None,
        trade_interval: float = 0.05,
        ping_interval: float = 1.0,
        max_symbols: int = 50,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self.keys = keys
        self.trade_interval = trade_interval
        self.ping_interval = ping_interval
        self.max_symbols = max_symbols
        self._host, self._port = host, port
        self.connections = 0
        self.refused = 0
        self.subscriptions: list[str] = []
        self.trades_sent = 0
        self._refuse = 0
        self._close = 0
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._stop: asyncio.Event | None = None
        self._ready = threading.Event()
        self._live: set[ServerConnection] = set()

    # ----- lifecycle -------------------------------------------------------------
    def start(self) -> Self:
        """Serve in a background thread."""
        self._thread = threading.Thread(target=self._run, daemon=True, name="finnhub-ws-emu")
        self._thread.start()
        if not self._ready.wait(10):
            raise RuntimeError("WebSocket emulator did not start")
        return self

    def stop(self) -> None:
        """Close every connection and the listening socket."""
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
        if self._thread is not None:
            self._thread.join(timeout=10)
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
        return int(next(iter(self._server.sockets)).getsockname()[1])

    @property
    def url(self) -> str:
        """The ``ws://`` URL (``MARKETDATA_FINNHUB_WS_URL``)."""
        return f"ws://{self._host}:{self.port}"

    # ----- faults ----------------------------------------------------------------
    def drop_connections(self) -> None:
        """Abort every live connection (no close frame), as a network cut would."""
        loop = self._loop
        if loop is None:
            return

        def cut() -> None:
            for connection in list(self._live):
                connection.transport.abort()

        loop.call_soon_threadsafe(cut)

    def close_next(self, count: int = 1) -> None:
        """Accept the next ``count`` connections, then close them at once (no frames)."""
        with self._lock:
            self._close += count

    def refuse_next(self, count: int = 1) -> None:
        """Answer the next ``count`` handshakes with HTTP 503."""
        with self._lock:
            self._refuse += count

    @property
    def live_connections(self) -> int:
        """Connections open right now."""
        return len(self._live)

    # ----- server ----------------------------------------------------------------
    def _run(self) -> None:
        asyncio.run(self._main())

    async def _main(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        async with serve(
            self._handler,
            self._host,
            self._port,
            process_request=self._check,
            ping_interval=None,
        ) as server:
            self._server = server
            self._ready.set()
            await self._stop.wait()
            for connection in list(self._live):
                connection.transport.abort()

    def _check(self, connection: ServerConnection, request: Request) -> Response | None:
        with self._lock:
            if self._refuse > 0:
                self._refuse -= 1
                self.refused += 1
                return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "try later\n")
        token = parse_qs(urlsplit(request.path).query).get("token", [""])[-1]
        if not token or (self.keys is not None and token not in self.keys):
            response = connection.respond(HTTPStatus.UNAUTHORIZED, "Invalid API key\n")
            return Response(response.status_code, response.reason_phrase, Headers(), b"")
        return None

    async def _handler(self, connection: ServerConnection) -> None:
        with self._lock:
            self.connections += 1
            close_now = self._close > 0
            self._close -= 1 if close_now else 0
        if close_now:
            await connection.close()
            return
        self._live.add(connection)
        symbols: list[str] = []
        sender = asyncio.create_task(self._produce(connection, symbols))
        try:
            async for message in connection:
                try:
                    data: Any = json.loads(message)
                except ValueError:
                    continue
                if not isinstance(data, dict):
                    continue
                symbol = str(data.get("symbol", "")).upper()
                if data.get("type") == "subscribe" and symbol:
                    with self._lock:
                        self.subscriptions.append(symbol)
                    if symbol in symbols:
                        continue
                    if len(symbols) >= self.max_symbols:
                        await connection.send(json.dumps(TOO_MANY))
                        continue
                    symbols.append(symbol)
                elif data.get("type") == "unsubscribe" and symbol in symbols:
                    symbols.remove(symbol)
        except ConnectionClosed:
            pass
        finally:
            sender.cancel()
            self._live.discard(connection)

    async def _produce(self, connection: ServerConnection, symbols: list[str]) -> None:
        step = 0
        last_ping = time.monotonic()
        try:
            while True:
                await asyncio.sleep(self.trade_interval)
                step += 1
                if time.monotonic() - last_ping >= self.ping_interval:
                    last_ping = time.monotonic()
                    await connection.send('{"type":"ping"}')
                if not symbols:
                    continue
                now_ms = int(time.time() * 1000)
                today = datetime.now(UTC).date()
                trades = []
                for symbol in list(symbols):
                    for n in range(1 + step % 2):
                        price = _data.price_on(symbol, today, step + n)
                        trades.append(
                            {
                                "c": ["1", "12"] if n else None,
                                "p": float(price),
                                "s": symbol,
                                "t": now_ms - n,
                                "v": 100 * (1 + (step + n) % 7),
                            }
                        )
                await connection.send(json.dumps({"data": trades, "type": "trade"}))
                with self._lock:
                    self.trades_sent += len(trades)
        except (ConnectionClosed, asyncio.CancelledError):
            return
