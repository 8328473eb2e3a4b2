"""Finnhub WebSocket trades: subscribe, reconnect with backoff and resubscribe, publish ticks.

Finnhub sends ``{"type":"trade","data":[{"s","p","t"(ms),"v","c"}...]}`` frames that batch
many trades, ``{"type":"ping"}`` frames, and ``{"type":"error","msg":...}``. Every trade is
yielded; each frame becomes one tick per symbol (last price, summed volume) on the event bus.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

from websockets.asyncio.client import connect
from websockets.exceptions import InvalidStatus, WebSocketException

from marketdata._exceptions import ConfigurationError, ProviderUnavailableError
from marketdata._keys import redact
from marketdata._models import Tick, Trade
from marketdata._symbols import from_provider, to_provider

if TYPE_CHECKING:
    from collections.abc import AsyncGenerator, Awaitable, Callable

    from marketdata._keys import ApiKey

logger = logging.getLogger(__name__)
WS_LOGGER = logging.getLogger("marketdata.websockets")
NAME = "finnhub"


def parse_trades(frame: dict[str, Any]) -> list[Trade]:
    """Trades of one ``trade`` frame; malformed entries are skipped.

    Args:
        frame: The decoded frame.

    Returns:
        The trades, in frame order.
    """
    trades: list[Trade] = []
    data = frame.get("data")
    for item in data if isinstance(data, list) else []:
        if not isinstance(item, dict):
            continue
        try:
            conditions = item.get("c")
            price, volume = Decimal(str(item["p"])), Decimal(str(item.get("v", 0)))
            # NaN, infinities and non-positive prices would reach alert rules as prices
            if not (price.is_finite() and volume.is_finite() and price > 0 and volume >= 0):
                raise ValueError("impossible trade")
            trades.append(
                Trade(
                    symbol=from_provider(str(item["s"]), NAME),
                    price=price,
                    volume=volume,
                    timestamp=datetime.fromtimestamp(int(item["t"]) / 1000, tz=UTC),
                    conditions=[str(c) for c in conditions]
                    if isinstance(conditions, list)
                    else None,
                    provider=NAME,
                )
            )
        except (KeyError, TypeError, ValueError, InvalidOperation, OverflowError, OSError):
            logger.debug("marketdata skipped a malformed trade")
    return trades


def batch_ticks(trades: list[Trade]) -> list[Tick]:
    """One tick per symbol: the last trade's price and time, the summed volume."""
    grouped: dict[str, list[Trade]] = {}
    for trade in trades:
        grouped.setdefault(trade.symbol, []).append(trade)
    ticks = []
    for symbol, items in grouped.items():
        last = max(items, key=lambda t: t.timestamp)
        volume = sum((t.volume for t in items), Decimal(0))
        ticks.append(
            Tick(
                symbol=symbol,
                price=last.price,
                volume=int(volume) if volume == volume.to_integral_value() else float(volume),
                timestamp=last.timestamp,
                provider=NAME,
                source="trade",
            )
        )
    return ticks


async def stream_trades(
    url: str,
    key: ApiKey,
    symbols: list[str],
    *,
    publish: Callable[[Tick], Awaitable[None]],
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    open_timeout: float = 10.0,
    max_reconnects: int | None = None,
    backoff: float = 0.5,
    max_backoff: float = 30.0,
) -> AsyncGenerator[Trade, None]:
    """Yield trades of ``symbols`` for as long as the caller iterates.

    Args:
        url: ``MARKETDATA_FINNHUB_WS_URL`` (``wss://ws.finnhub.io``).
        key: The Finnhub key (sent as ``?token=``; never logged).
        symbols: Canonical symbols (``AAPL``, ``BINANCE:BTCUSDT``).
        publish: Called with each frame's ticks.
        sleep: Async sleep (tests).
        open_timeout: Seconds for each connection handshake.
        max_reconnects: Give up after this many failed reconnects in a row (None: never).
        backoff: First reconnect delay; doubles per failure, with jitter, up to ``max_backoff``.
        max_backoff: Longest reconnect delay.

    Yields:
        Each trade.

    Raises:
        ConfigurationError: Finnhub refused the key (HTTP 401/403 on the handshake).
        ProviderUnavailableError: ``max_reconnects`` consecutive failures.
    """
    token = quote(key.secret.get_secret_value(), safe="")
    target = f"{url.rstrip('/')}/?token={token}" if "?" not in url else f"{url}&token={token}"
    failures = 0
    while True:
        try:
            async with connect(
                target, open_timeout=open_timeout, proxy=None, logger=WS_LOGGER, ping_interval=20
            ) as websocket:
                for symbol in symbols:
                    message = {"type": "subscribe", "symbol": to_provider(symbol, NAME)}
                    await websocket.send(json.dumps(message))
                logger.info(
                    "marketdata stream connected",
                    extra={"symbols": symbols, "reconnects": failures},
                )
                async for raw in websocket:
                    try:
                        frame = json.loads(raw)
                    except ValueError:
                        continue
                    if not isinstance(frame, dict):
                        continue
                    kind = frame.get("type")
                    if kind == "ping":
                        failures = 0
                    if kind == "trade":
                        trades = parse_trades(frame)
                        if trades:
                            # only a connection that delivers resets the backoff: a server
                            # sending garbage then closing must not get reconnects in a loop
                            failures = 0
                        await publish_all(publish, batch_ticks(trades))
                        for trade in trades:
                            yield trade
                    elif kind == "error":
                        logger.warning(
                            "marketdata stream error frame",
                            extra={"detail": redact(str(frame.get("msg")))[:200]},
                        )
        except InvalidStatus as exc:
            status = exc.response.status_code
            if status in (401, 403):
                raise ConfigurationError(
                    f"Finnhub refused the WebSocket token (HTTP {status})"
                ) from None
            failures += 1
            reason = f"handshake HTTP {status}"
        except (OSError, WebSocketException, TimeoutError) as exc:
            failures += 1
            reason = type(exc).__name__
        else:
            failures += 1
            reason = "closed by server"
        if max_reconnects is not None and failures > max_reconnects:
            raise ProviderUnavailableError(
                "Finnhub WebSocket unavailable", reasons={NAME: f"{failures - 1} reconnects failed"}
            )
        delay = min(max_backoff, backoff * 2 ** (failures - 1)) * (0.5 + random.random() / 2)  # noqa: S311
        logger.warning(
            "marketdata stream reconnecting",
            extra={"reason": reason, "attempt": failures, "delay": round(delay, 3)},
        )
        await sleep(delay)


async def publish_all(publish: Callable[[Tick], Awaitable[None]], ticks: list[Tick]) -> None:
    """Publish ticks one by one (the bus logs and survives subscriber failures)."""
    for tick in ticks:
        await publish(tick)
