"""Local Alpha Vantage and Finnhub REST emulators over real sockets."""

from __future__ import annotations

import json
import re
import socket
import struct
import threading
import time
from collections import deque
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, Self
from urllib.parse import parse_qs, urlsplit

from marketdata.testing import _data
from marketdata.testing._faults import Fault, FaultQueue

if TYPE_CHECKING:
    from collections.abc import Iterable

_UNKNOWN = re.compile(r"^(ZZZ|INVALID|UNKNOWN)")

AV_NOTE = {
    "Note": "Thank you for using Alpha Vantage! Our standard API call frequency is 5 calls per "
    "minute and 500 calls per day. Please visit https://www.alphavantage.co/premium/ if you "
    "would like to target a higher API call frequency."
}
AV_INFORMATION = {
    "Information": "Thank you for using Alpha Vantage! Our standard API rate limit is 25 requests "
    "per day. Please subscribe to any of the premium plans at "
    "https://www.alphavantage.co/premium/ to instantly remove all daily rate limits."
}
AV_PREMIUM = {
    "Information": "Thank you for using Alpha Vantage! This is a premium endpoint. You may "
    "subscribe to any of the premium plans at https://www.alphavantage.co/premium/ to "
    "instantly unlock all premium endpoints"
}
AV_DEMO = {
    "Information": "The **demo** API key is for demo purposes only. Please claim your free API "
    "key at (https://www.alphavantage.co/support/#api-key) to explore our full API offerings. "
    "It takes fewer than 20 seconds."
}
AV_BAD_KEY = {
    "Error Message": "the parameter apikey is invalid or missing. Please claim your free API key "
    "on (https://www.alphavantage.co/support/#api-key). It should take less than 20 seconds."
}


def _av_invalid(function: str) -> dict[str, str]:
    return {
        "Error Message": "Invalid API call. Please retry or visit the documentation "
        f"(https://www.alphavantage.co/documentation/) for {function}."
    }


def _num(value: Decimal | int) -> str:
    return f"{value:.4f}" if isinstance(value, Decimal) else str(value)


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
        if parts.path.startswith("/_emulator/"):
            self._control(handler, method, parts.path, handler)
            return
        path = parts.path
        if self.path_prefix and path.startswith(self.path_prefix):
            path = path[len(self.path_prefix) :]
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


def _json(data: Any) -> bytes:
    return json.dumps(data, indent=4).encode()


class AlphaVantageEmulator(HTTPEmulator):
    """Alpha Vantage's ``/query`` API: every answer HTTP 200, errors as envelopes.

    Extra args:
        per_minute, per_day: When set, calls per key beyond them get the real ``Note`` /
            ``Information`` answers (the client should never trigger them).
    """

    name = "alphavantage"

    def __init__(
        self, *, per_minute: int | None = None, per_day: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.per_minute = per_minute
        self.per_day = per_day
        self.limit_answers = 0

    def _identify(self, path: str, params: dict[str, str]) -> tuple[str, str | None]:
        symbol = params.get("symbol") or params.get("tickers") or None
        return params.get("function", ""), symbol.upper() if symbol else None

    def _answer(
        self,
        handler: _Handler,
        endpoint: str,
        symbol: str | None,
        params: dict[str, str],
        fault: Fault | None,
    ) -> tuple[int, dict[str, str], bytes]:
        if urlsplit(handler.path).path.rstrip("/") != "/query":
            return 404, {"Content-Type": "text/html"}, b"<h1>Not Found</h1>"
        if fault is not None:
            canned = self._fault_answer(fault, endpoint)
            if canned is not None:
                return canned
        key = params.get("apikey", "")
        if not key or (self.keys is not None and key not in self.keys and key != "demo"):
            return 200, {}, _json(AV_BAD_KEY)
        if key == "demo" and symbol not in ("IBM", None):
            return 200, {}, _json(AV_DEMO)
        limits: list[tuple[int, float]] = []
        if self.per_minute:
            limits.append((self.per_minute, 60.0))
        if self.per_day:
            limits.append((self.per_day, 86_400.0))
        if limits and self._over_limit(key, limits):
            self.limit_answers += 1
            return 200, {}, _json(AV_NOTE)
        if endpoint in self.premium:
            return 200, {}, _json(AV_PREMIUM)
        unknown = self.is_unknown(symbol) or (fault is not None and fault.kind == "unknown")
        now = datetime.now(UTC)
        if endpoint == "GLOBAL_QUOTE":
            return 200, {}, _json({"Global Quote": {} if unknown else self._quote(symbol, now)})
        if endpoint.startswith("TIME_SERIES_"):
            if unknown or not symbol:
                return 200, {}, _json(_av_invalid(endpoint))
            return self._series(endpoint, symbol, params, now)
        if endpoint == "OVERVIEW":
            return 200, {}, _json({} if unknown or not symbol else self._overview(symbol))
        if endpoint == "SYMBOL_SEARCH":
            return 200, {}, _json({"bestMatches": self._search(params.get("keywords", ""))})
        if endpoint == "NEWS_SENTIMENT":
            if unknown:
                return 200, {}, _json(_av_invalid(endpoint))
            limit = int(params.get("limit", "50") or 50)
            return 200, {}, _json(self._news(symbol, now, min(limit, 10)))
        return 200, {}, _json({"Error Message": f"This API function ({endpoint}) does not exist."})

    @staticmethod
    def _fault_answer(fault: Fault, endpoint: str) -> tuple[int, dict[str, str], bytes] | None:
        if fault.kind == "note":
            return 200, {}, _json(AV_NOTE)
        if fault.kind == "information":
            return 200, {}, _json(AV_INFORMATION)
        if fault.kind == "error_message":
            return 200, {}, _json(_av_invalid(endpoint or "GLOBAL_QUOTE"))
        if fault.kind == "malformed":
            return 200, {}, b'{\n    "Global Quote": {\n        "01. symbol": "IB'
        if fault.kind == "empty":
            return 200, {}, b""
        if fault.kind == "status":
            headers = {"Content-Type": "text/html"}
            if fault.retry_after is not None:
                headers["Retry-After"] = f"{fault.retry_after:g}"
            body = fault.body or f"<html><body>{fault.status} error</body></html>".encode()
            return fault.status, headers, body
        return None

    @staticmethod
    def _quote(symbol: str | None, now: datetime) -> dict[str, str]:
        symbol = symbol or ""
        day = _data.last_trading_day(now)
        bar = _data.ohlcv(symbol, day)
        previous = _data.price_on(symbol, _data.trading_days(day - timedelta(days=1), 1)[0])
        close = Decimal(bar["close"])
        change = close - previous
        return {
            "01. symbol": symbol,
            "02. open": _num(bar["open"]),
            "03. high": _num(bar["high"]),
            "04. low": _num(bar["low"]),
            "05. price": _num(close),
            "06. volume": str(bar["volume"]),
            "07. latest trading day": day.isoformat(),
            "08. previous close": _num(previous),
            "09. change": _num(change),
            "10. change percent": f"{change / previous * 100:.4f}%",
        }

    @staticmethod
    def _series(
        function: str, symbol: str, params: dict[str, str], now: datetime
    ) -> tuple[int, dict[str, str], bytes]:
        adjusted = function.endswith("_ADJUSTED")
        day = _data.last_trading_day(now)
        compact = params.get("outputsize", "compact") != "full"
        rows: dict[str, dict[str, str]] = {}
        if function == "TIME_SERIES_INTRADAY":
            interval = params.get("interval", "5min")
            minutes = int(interval.removesuffix("min") or 5)
            from zoneinfo import ZoneInfo

            eastern = ZoneInfo("America/New_York")
            end = datetime.combine(day, datetime.min.time()).replace(hour=16)
            local_now = now.astimezone(eastern).replace(tzinfo=None)
            if local_now < end:
                end = local_now.replace(second=0, microsecond=0)
                end -= timedelta(minutes=end.minute % minutes)
            count = 100 if compact else 500
            for step in range(count):
                stamp = end - timedelta(minutes=minutes * step)
                bar = _data.ohlcv(symbol, stamp.date(), stamp.hour * 60 + stamp.minute)
                rows[stamp.strftime("%Y-%m-%d %H:%M:%S")] = {
                    "1. open": _num(bar["open"]),
                    "2. high": _num(bar["high"]),
                    "3. low": _num(bar["low"]),
                    "4. close": _num(bar["close"]),
                    "5. volume": str(int(bar["volume"]) // 50),
                }
            meta = {
                "1. Information": f"Intraday ({interval}) open, high, low, close prices and volume",
                "2. Symbol": symbol,
                "3. Last Refreshed": end.strftime("%Y-%m-%d %H:%M:%S"),
                "4. Interval": interval,
                "5. Output Size": "Compact" if compact else "Full size",
                "6. Time Zone": "US/Eastern",
            }
            return 200, {}, _json({"Meta Data": meta, f"Time Series ({interval})": rows})
        if function.startswith("TIME_SERIES_DAILY"):
            days = _data.trading_days(day, 100 if compact else 2000)
            series_name = "Time Series (Daily)"
        else:
            weekly = function.startswith("TIME_SERIES_WEEKLY")
            days = [d for d in _data.trading_days(day, 1500) if d.weekday() == 4 or d == day]
            if not weekly:
                days = [d for d in days if (d + timedelta(days=7)).month != d.month or d == day]
            series_name = "Weekly Time Series" if weekly else "Monthly Time Series"
            if adjusted:
                series_name = ("Weekly" if weekly else "Monthly") + " Adjusted Time Series"
        for d in days:
            bar = _data.ohlcv(symbol, d)
            row = {
                "1. open": _num(bar["open"]),
                "2. high": _num(bar["high"]),
                "3. low": _num(bar["low"]),
                "4. close": _num(bar["close"]),
            }
            if adjusted:
                row["5. adjusted close"] = _num(bar["close"])
                row["6. volume"] = str(bar["volume"])
                row["7. dividend amount"] = "0.0000"
                row["8. split coefficient"] = "1.0000"
            else:
                row["5. volume"] = str(bar["volume"])
            rows[d.isoformat()] = row
        meta = {
            "1. Information": "Daily Prices (open, high, low, close) and Volumes",
            "2. Symbol": symbol,
            "3. Last Refreshed": day.isoformat(),
            "4. Output Size": "Compact" if compact else "Full size",
            "5. Time Zone": "US/Eastern",
        }
        return 200, {}, _json({"Meta Data": meta, series_name: rows})

    @staticmethod
    def _overview(symbol: str) -> dict[str, str]:
        name, exchange, industry, country = _data.COMPANIES.get(
            symbol.replace("-", ".").replace(".LON", ".L").replace(".DEX", ".DE"),
            (f"{symbol} Corporation", "NYSE", "Diversified", "USA"),
        )
        cap = int(_data.base_price(symbol) * 1_000_000_000)
        return {
            "Symbol": symbol,
            "AssetType": "Common Stock",
            "Name": name,
            "Description": f"{name} is a company listed on {exchange}.",
            "Exchange": exchange,
            "Currency": "USD" if country in ("US", "USA") else "GBP",
            "Country": "USA" if country == "US" else country,
            "Sector": "TECHNOLOGY",
            "Industry": industry.upper(),
            "MarketCapitalization": str(cap),
            "OfficialSite": f"https://www.{symbol.lower().split('.')[0]}.example.com",
        }

    @staticmethod
    def _search(keywords: str) -> list[dict[str, str]]:
        words = keywords.strip().upper()
        out = []
        for symbol, (name, _exchange, _industry, country) in _data.COMPANIES.items():
            if words and (symbol.startswith(words) or words in name.upper()):
                av_symbol = symbol.replace(".L", ".LON").replace(".DE", ".DEX")
                av_symbol = av_symbol.replace("BRK.B", "BRK-B")
                score = 1.0 if symbol == words else 0.5
                region = {"US": "United States", "GB": "United Kingdom"}.get(country, "Frankfurt")
                out.append(
                    {
                        "1. symbol": av_symbol,
                        "2. name": name,
                        "3. type": "Equity",
                        "4. region": region,
                        "5. marketOpen": "09:30",
                        "6. marketClose": "16:00",
                        "7. timezone": "UTC-04",
                        "8. currency": {"US": "USD", "GB": "GBX"}.get(country, "EUR"),
                        "9. matchScore": f"{score:.4f}",
                    }
                )
        return out

    @staticmethod
    def _news(symbol: str | None, now: datetime, count: int) -> dict[str, Any]:
        from zoneinfo import ZoneInfo

        eastern = ZoneInfo("America/New_York")
        feed = []
        for item in _data.news_items(symbol, now, count):
            published: datetime = item["published"]
            tickers = [symbol] if symbol else ["IBM", "AAPL"]
            feed.append(
                {
                    "title": item["headline"],
                    "url": item["url"],
                    "time_published": published.astimezone(eastern).strftime("%Y%m%dT%H%M%S"),
                    "authors": ["Staff"],
                    "summary": item["summary"],
                    "banner_image": None,
                    "source": item["source"],
                    "category_within_source": "n/a",
                    "source_domain": "news.example.org",
                    "topics": [],
                    "overall_sentiment_score": item["sentiment"],
                    "overall_sentiment_label": "Neutral",
                    "ticker_sentiment": [
                        {
                            "ticker": t,
                            "relevance_score": "0.5",
                            "ticker_sentiment_score": f"{item['sentiment']:.6f}",
                            "ticker_sentiment_label": "Neutral",
                        }
                        for t in tickers
                    ],
                }
            )
        return {
            "items": str(len(feed)),
            "sentiment_score_definition": "x <= -0.35: Bearish; -0.35 < x <= -0.15: "
            "Somewhat-Bearish; -0.15 < x < 0.15: Neutral; 0.15 <= x < 0.35: Somewhat_Bullish; "
            "x >= 0.35: Bullish",
            "relevance_score_definition": "0 < x <= 1, with a higher score indicating higher "
            "relevance.",
            "feed": feed,
        }


class FinnhubEmulator(HTTPEmulator):
    """Finnhub's REST API under ``/api/v1`` (token in ``X-Finnhub-Token`` or ``?token=``).

    Extra args:
        per_second, per_minute: When set, calls per key beyond them get HTTP 429.
    """

    name = "finnhub"
    path_prefix = "/api/v1"

    def __init__(
        self, *, per_second: int | None = None, per_minute: int | None = None, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.per_second = per_second
        self.per_minute = per_minute
        self.limit_answers = 0

    def _identify(self, path: str, params: dict[str, str]) -> tuple[str, str | None]:
        symbol = params.get("symbol") or None
        return path.strip("/"), symbol.upper() if symbol else None

    def _answer(
        self,
        handler: _Handler,
        endpoint: str,
        symbol: str | None,
        params: dict[str, str],
        fault: Fault | None,
    ) -> tuple[int, dict[str, str], bytes]:
        if fault is not None:
            if fault.kind == "status":
                headers: dict[str, str] = {}
                if fault.retry_after is not None:
                    headers["Retry-After"] = f"{fault.retry_after:g}"
                message = {
                    429: "API limit reached. Please try again later. Remaining Limit: 0",
                    401: "Invalid API key",
                    403: "You don't have access to this resource.",
                }.get(fault.status)
                if fault.body is not None:
                    return fault.status, headers, fault.body
                if message is None:
                    headers["Content-Type"] = "text/html"
                    return fault.status, headers, f"<html>{fault.status}</html>".encode()
                return fault.status, headers, json.dumps({"error": message}).encode()
            if fault.kind in ("malformed", "note", "information", "error_message"):
                return 200, {}, b'{"c":123.4,"d":'
            if fault.kind == "empty":
                return 200, {}, b""
        key = handler.headers.get("X-Finnhub-Token") or params.get("token", "")
        if not key:
            return 401, {}, b'{"error":"Please use an API key."}'
        if self.keys is not None and key not in self.keys:
            return 401, {}, b'{"error":"Invalid API key"}'
        limits: list[tuple[int, float]] = []
        if self.per_second:
            limits.append((self.per_second, 1.0))
        if self.per_minute:
            limits.append((self.per_minute, 60.0))
        if limits and self._over_limit(key, limits):
            self.limit_answers += 1
            body = b'{"error":"API limit reached. Please try again later. Remaining Limit: 0"}'
            return 429, {}, body
        if endpoint in self.premium:
            return 403, {}, b'{"error":"You don\'t have access to this resource."}'
        unknown = self.is_unknown(symbol) or (fault is not None and fault.kind == "unknown")
        now = datetime.now(UTC)
        if endpoint == "quote":
            zero = {"c": 0, "d": None, "dp": None, "h": 0, "l": 0, "o": 0, "pc": 0, "t": 0}
            data: Any = zero if unknown or not symbol else _data.finnhub_quote(symbol, now)
        elif endpoint == "stock/candle":
            data = {"s": "no_data"} if unknown or not symbol else self._candles(symbol, params)
        elif endpoint == "stock/profile2":
            data = {} if unknown or not symbol else self._profile(symbol)
        elif endpoint in ("company-news", "news"):
            data = [] if unknown else self._news(symbol, now)
        elif endpoint == "search":
            query = params.get("q", "").upper()
            result = [
                {"description": name.upper(), "displaySymbol": s, "symbol": s, "type": kind}
                for s, (name, *_rest) in _data.COMPANIES.items()
                if query and (s.startswith(query) or query in name.upper())
                for kind in ("Common Stock",)
            ]
            data = {"count": len(result), "result": result}
        else:
            return 404, {"Content-Type": "text/plain"}, b"404 page not found"
        return 200, {}, json.dumps(data, separators=(",", ":")).encode()

    @staticmethod
    def _candles(symbol: str, params: dict[str, str]) -> dict[str, Any]:
        try:
            start = datetime.fromtimestamp(int(params["from"]), tz=UTC).date()
            end = datetime.fromtimestamp(int(params["to"]), tz=UTC).date()
        except (KeyError, ValueError):
            return {"s": "no_data"}
        resolution = params.get("resolution", "D")
        if resolution not in ("D", "W", "M"):
            minutes = int(resolution) if resolution.isdigit() else 5
            columns: dict[str, list[Any]] = {k: [] for k in "tohlcv"}
            day = end
            while day >= start and len(columns["t"]) < 500:
                if day.weekday() < 5:
                    open_at = datetime.combine(day, datetime.min.time(), UTC) + timedelta(
                        hours=14, minutes=30
                    )
                    for step in range(0, 390, minutes):
                        bar = _data.ohlcv(symbol, day, step)
                        columns["t"].append(int((open_at + timedelta(minutes=step)).timestamp()))
                        for k, name in zip("ohlc", ("open", "high", "low", "close"), strict=True):
                            columns[k].append(float(bar[name]))
                        columns["v"].append(int(bar["volume"]) // 50)
                day -= timedelta(days=1)
            order = sorted(range(len(columns["t"])), key=lambda i: columns["t"][i])
            out: dict[str, Any] = {k: [v[i] for i in order] for k, v in columns.items()}
            out["s"] = "ok" if columns["t"] else "no_data"
            return out
        days: list[date] = []
        day = start
        while day <= end:
            first_of_month = day.day <= 3 and not any(d.month == day.month for d in days)
            if day.weekday() < 5 and (
                resolution == "D"
                or (resolution == "W" and day.weekday() == 0)
                or (resolution == "M" and first_of_month)
            ):
                days.append(day)
            day += timedelta(days=1)
        if not days:
            return {"s": "no_data"}
        bars = [_data.ohlcv(symbol, d) for d in days]
        return {
            "c": [float(b["close"]) for b in bars],
            "h": [float(b["high"]) for b in bars],
            "l": [float(b["low"]) for b in bars],
            "o": [float(b["open"]) for b in bars],
            "s": "ok",
            "t": [int(datetime.combine(d, datetime.min.time(), UTC).timestamp()) for d in days],
            "v": [int(b["volume"]) for b in bars],
        }

    @staticmethod
    def _profile(symbol: str) -> dict[str, Any]:
        name, exchange, industry, country = _data.COMPANIES.get(
            symbol, (f"{symbol} Corp", "NEW YORK STOCK EXCHANGE, INC.", "Diversified", "US")
        )
        return {
            "country": country,
            "currency": "USD" if country == "US" else "GBP",
            "exchange": exchange,
            "finnhubIndustry": industry,
            "ipo": "1980-12-12",
            "logo": f"https://static.finnhub.io/logo/{symbol.lower()}.png",
            "marketCapitalization": float(_data.base_price(symbol) * 1000),
            "name": name,
            "phone": "14089961010.0",
            "shareOutstanding": 16319.44,
            "ticker": symbol,
            "weburl": f"https://www.{symbol.lower().split('.')[0]}.example.com/",
        }

    @staticmethod
    def _news(symbol: str | None, now: datetime) -> list[dict[str, Any]]:
        return [
            {
                "category": "company" if symbol else "general",
                "datetime": int(item["published"].timestamp()),
                "headline": item["headline"],
                "id": item["id"],
                "image": "" if item["n"] % 3 == 2 else f"https://img.example.org/{item['id']}.jpg",
                "related": symbol or "",
                "source": item["source"],
                "summary": item["summary"],
                "url": item["url"],
            }
            for item in _data.news_items(symbol, now)
        ]
