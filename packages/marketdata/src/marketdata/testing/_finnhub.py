"""The Finnhub REST emulator under ``/api/v1`` (token in ``X-Finnhub-Token`` or ``?token=``)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import TYPE_CHECKING, Any

from marketdata.testing import _data
from marketdata.testing._http import HTTPEmulator, _Handler

if TYPE_CHECKING:
    from marketdata.testing._faults import Fault


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
