"""The Alpha Vantage ``/query`` emulator: every answer HTTP 200, errors as envelopes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from marketdata.testing import _data
from marketdata.testing._http import HTTPEmulator, _Handler
from marketdata.testing._http import json_body as _json

if TYPE_CHECKING:
    from marketdata.testing._faults import Fault

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
            # bars start 04:00-19:59 New York time (extended hours), weekdays only
            end = datetime.combine(day, datetime.min.time()).replace(hour=20) - timedelta(
                minutes=minutes
            )
            local_now = now.astimezone(eastern).replace(tzinfo=None)
            if local_now < end:
                end = local_now.replace(second=0, microsecond=0)
                end -= timedelta(minutes=end.minute % minutes)
            count = 100 if compact else 500
            stamp = end
            while len(rows) < count:
                if stamp.weekday() >= 5 or not 4 <= stamp.hour < 20:
                    stamp -= timedelta(minutes=minutes)
                    continue
                current = stamp
                stamp -= timedelta(minutes=minutes)
                bar = _data.ohlcv(symbol, current.date(), current.hour * 60 + current.minute)
                rows[current.strftime("%Y-%m-%d %H:%M:%S")] = {
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
