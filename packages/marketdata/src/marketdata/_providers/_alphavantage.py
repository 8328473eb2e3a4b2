"""Alpha Vantage: ``/query?function=...``; every answer, errors included, is HTTP 200.

Error and limit answers are recognised by their key, never by their wording:
``Error Message`` (invalid call: unknown symbol or bad parameters), ``Note`` (throttle) and
``Information`` (daily limit, premium-only endpoint, demo key misuse).
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marketdata._clock import EASTERN, close_of, eastern_to_utc, midnight_utc
from marketdata._faults import LimitFault, RequestFault, TransientFault, UnknownFault
from marketdata._models import Bar, History, NewsItem, Profile, Quote, SymbolMatch
from marketdata._providers._base import (
    Query,
    RawResponse,
    Request,
    Result,
    check_status,
    dec,
    decode_json,
    opt_dec,
    opt_str,
    opt_volume,
    price,
)
from marketdata._symbols import from_provider, to_provider

if TYPE_CHECKING:
    from marketdata._keys import ApiKey

NAME = "alphavantage"
_INTRADAY = {"1min", "5min", "15min", "30min", "60min"}
_FUNCTIONS = {
    ("1d", False): "TIME_SERIES_DAILY",
    ("1d", True): "TIME_SERIES_DAILY_ADJUSTED",
    ("1wk", False): "TIME_SERIES_WEEKLY",
    ("1wk", True): "TIME_SERIES_WEEKLY_ADJUSTED",
    ("1mo", False): "TIME_SERIES_MONTHLY",
    ("1mo", True): "TIME_SERIES_MONTHLY_ADJUSTED",
}
# Data older than this when fetched is flagged stale (delisted symbols keep old quotes).
_OLD_QUOTE = timedelta(days=7)


def _envelope(data: Any, query: Query) -> None:
    """Raise the fault an HTTP-200 error/limit envelope stands for (by key only)."""
    if not isinstance(data, dict):
        raise TransientFault("unexpected JSON shape")
    if "Note" in data:
        raise LimitFault("Note (call frequency)")
    if "Information" in data:
        raise LimitFault("Information (limit or premium endpoint)", scope="endpoint")
    if "Error Message" in data:
        # Time series answer an unknown symbol this way. GLOBAL_QUOTE answers it with an empty
        # object and OVERVIEW with {}, so there the envelope means a bad call or a bad key:
        # not evidence about the symbol.
        if query.kind == "history" and query.symbol is not None:
            raise UnknownFault("Error Message (invalid call)")
        raise RequestFault("Error Message (invalid call or API key)")


class AlphaVantage:
    """The Alpha Vantage provider."""

    name = NAME

    def __init__(
        self,
        base_url: str = "https://www.alphavantage.co",
        *,
        limits: list[tuple[int, float]] | None = None,
    ) -> None:
        """Create the provider.

        Args:
            limits: Budgets per key as (calls, window seconds); default the free tier's.
            base_url: Scheme and host (``MARKETDATA_ALPHAVANTAGE_URL``); ``/query`` is added.
        """
        self.base_url = base_url.rstrip("/")
        self.limits = limits if limits is not None else [(5, 60.0), (25, 86_400.0)]

    def supports(self, query: Query, key: ApiKey) -> bool:
        """All kinds; the ``demo`` key serves IBM only (search and news need a real key)."""
        if key.is_demo:
            return query.symbol == "IBM" and query.kind in ("quote", "history", "profile")
        return True

    def build(self, query: Query, key: ApiKey, now: datetime) -> Request:
        """Build ``/query`` with the function for ``query``; the key goes in ``apikey``."""
        params: dict[str, str] = {}
        symbol = to_provider(query.symbol, NAME) if query.symbol else None
        if query.kind == "quote":
            params = {"function": "GLOBAL_QUOTE", "symbol": symbol or ""}
        elif query.kind == "history":
            interval = query.interval or "1d"
            if interval in _INTRADAY:
                params = {
                    "function": "TIME_SERIES_INTRADAY",
                    "symbol": symbol or "",
                    "interval": interval,
                    "outputsize": "compact",
                }
                if query.start and (now.date() - query.start).days > 1:
                    params["outputsize"] = "full"
            else:
                params = {
                    "function": _FUNCTIONS[(interval, query.adjusted)],
                    "symbol": symbol or "",
                }
                if interval == "1d":
                    # compact = the latest 100 trading days (~140 calendar days)
                    old = query.start is not None and (now.date() - query.start).days > 140
                    params["outputsize"] = "full" if old else "compact"
        elif query.kind == "news":
            params = {"function": "NEWS_SENTIMENT", "sort": "LATEST"}
            params["limit"] = str(min(max(query.limit or 50, 1), 1000))
            if symbol:
                params["tickers"] = symbol
        elif query.kind == "profile":
            params = {"function": "OVERVIEW", "symbol": symbol or ""}
        else:
            params = {"function": "SYMBOL_SEARCH", "keywords": query.text or ""}
        secret = {"apikey": key.secret.get_secret_value()}
        return Request("/query", params, {"Accept": "application/json"}, params["function"], secret)

    def parse(self, query: Query, response: RawResponse, fetched_at: datetime) -> Result:
        """Parse an answer (see the module docstring for the envelopes)."""
        check_status(response)
        data = decode_json(response.body)
        _envelope(data, query)
        if query.kind == "quote":
            return self._quote(query, data, fetched_at)
        if query.kind == "history":
            return self._history(query, data, fetched_at)
        if query.kind == "news":
            return self._news(query, data, fetched_at)
        if query.kind == "profile":
            return self._profile(query, data, fetched_at)
        return self._search(data)

    def _quote(self, query: Query, data: dict[str, Any], fetched_at: datetime) -> Quote:
        block = data.get("Global Quote")
        if not isinstance(block, dict):
            raise TransientFault("no Global Quote object")
        if not block:
            raise UnknownFault("empty Global Quote")
        try:
            day = datetime.strptime(block["07. latest trading day"], "%Y-%m-%d").date()
            last = price(block["05. price"], field_name="price")
        except (KeyError, TypeError, ValueError):
            raise TransientFault("malformed Global Quote") from None
        close = close_of(day)
        today = fetched_at.astimezone(EASTERN).date()
        stamp = fetched_at if day == today and fetched_at < close else min(close, fetched_at)
        return Quote(
            symbol=query.symbol or from_provider(str(block.get("01. symbol", "")), NAME),
            price=last,
            open=opt_dec(block.get("02. open"), field_name="open"),
            high=opt_dec(block.get("03. high"), field_name="high"),
            low=opt_dec(block.get("04. low"), field_name="low"),
            previous_close=opt_dec(block.get("08. previous close"), field_name="previous close"),
            change=opt_dec(block.get("09. change"), field_name="change"),
            change_percent=opt_dec(block.get("10. change percent"), field_name="change percent"),
            volume=opt_volume(block.get("06. volume"), field_name="volume"),
            timestamp=stamp,
            provider=NAME,
            fetched_at=fetched_at,
            stale=fetched_at - stamp > _OLD_QUOTE,
        )

    def _history(self, query: Query, data: dict[str, Any], fetched_at: datetime) -> History:
        meta = data.get("Meta Data")
        series_key = next((k for k in data if "Time Series" in k), None)
        if not isinstance(meta, dict) or series_key is None:
            raise TransientFault("no time series in answer")
        series = data[series_key]
        if not isinstance(series, dict):
            raise TransientFault("malformed time series")
        zone = next((str(v) for k, v in meta.items() if k.endswith("Time Zone")), "US/Eastern")
        intraday = (query.interval or "1d") in _INTRADAY
        bars: list[Bar] = []
        for label, row in series.items():
            try:
                if intraday:
                    stamp = eastern_to_utc(datetime.strptime(label, "%Y-%m-%d %H:%M:%S"), zone)
                else:
                    stamp = midnight_utc(datetime.strptime(label, "%Y-%m-%d").date())
            except (TypeError, ValueError):
                raise TransientFault("malformed bar timestamp") from None
            if not isinstance(row, dict):
                raise TransientFault("malformed bar")
            if query.start and stamp.date() < query.start:
                continue
            if query.end and stamp.date() > query.end:
                continue
            bars.append(self._bar(stamp, row))
        bars.sort(key=lambda bar: bar.timestamp)
        return History(
            symbol=query.symbol or "",
            interval=query.interval or "1d",
            bars=bars,
            provider=NAME,
            fetched_at=fetched_at,
        )

    @staticmethod
    def _bar(stamp: datetime, row: dict[str, Any]) -> Bar:
        fields = {key.split(". ", 1)[-1]: value for key, value in row.items()}
        try:
            return Bar(
                timestamp=stamp,
                open=dec(fields.get("open"), field_name="open"),
                high=dec(fields.get("high"), field_name="high"),
                low=dec(fields.get("low"), field_name="low"),
                close=dec(fields.get("close"), field_name="close"),
                adjusted_close=opt_dec(fields.get("adjusted close"), field_name="adjusted close"),
                volume=opt_volume(fields.get("volume"), field_name="volume"),
            )
        except ValueError:
            raise TransientFault("malformed bar") from None

    def _news(self, query: Query, data: dict[str, Any], fetched_at: datetime) -> list[NewsItem]:
        feed = data.get("feed")
        if not isinstance(feed, list):
            raise TransientFault("no news feed in answer")
        items: list[NewsItem] = []
        for entry in feed:
            if not isinstance(entry, dict):
                continue
            try:
                published = eastern_to_utc(
                    datetime.strptime(str(entry["time_published"]), "%Y%m%dT%H%M%S")
                )
                url = str(entry["url"])
            except (KeyError, ValueError):
                continue  # one bad item does not spoil the feed
            tickers = [t for t in entry.get("ticker_sentiment") or [] if isinstance(t, dict)]
            symbols = [from_provider(str(t.get("ticker", "")), NAME) for t in tickers]
            sentiment = _float(entry.get("overall_sentiment_score"))
            for ticker in tickers:
                if query.symbol and from_provider(str(ticker.get("ticker", "")), NAME) == (
                    query.symbol
                ):
                    sentiment = _float(ticker.get("ticker_sentiment_score"))
            items.append(
                NewsItem(
                    id=hashlib.sha1(url.encode(), usedforsecurity=False).hexdigest()[:16],
                    headline=str(entry.get("title", "")).strip(),
                    summary=str(entry.get("summary", "")),
                    url=url,
                    source=str(entry.get("source", "")),
                    published_at=published,
                    symbols=[s for s in symbols if s],
                    sentiment=sentiment,
                    image_url=opt_str(entry.get("banner_image")),
                    provider=NAME,
                    fetched_at=fetched_at,
                )
            )
        items.sort(key=lambda item: item.published_at, reverse=True)
        return items[: query.limit] if query.limit else items

    def _profile(self, query: Query, data: dict[str, Any], fetched_at: datetime) -> Profile:
        if not data or "Symbol" not in data:
            raise UnknownFault("empty OVERVIEW")
        cap = opt_dec(data.get("MarketCapitalization"), field_name="market cap")
        return Profile(
            symbol=query.symbol or from_provider(str(data["Symbol"]), NAME),
            name=str(data.get("Name", "")),
            exchange=str(data.get("Exchange", "")),
            currency=str(data.get("Currency", "")),
            country=str(data.get("Country", "")),
            industry=str(data.get("Industry", "")).title(),
            market_cap=cap,
            ipo=None,
            website=opt_str(data.get("OfficialSite")),
            logo=None,
            description=opt_str(data.get("Description")),
            provider=NAME,
            fetched_at=fetched_at,
        )

    def _search(self, data: dict[str, Any]) -> list[SymbolMatch]:
        matches = data.get("bestMatches")
        if not isinstance(matches, list):
            raise TransientFault("no bestMatches in answer")
        out: list[SymbolMatch] = []
        for match in matches:
            if not isinstance(match, dict) or "1. symbol" not in match:
                continue
            out.append(
                SymbolMatch(
                    symbol=from_provider(str(match["1. symbol"]), NAME),
                    name=str(match.get("2. name", "")),
                    type=str(match.get("3. type", "")),
                    region=str(match.get("4. region", "")),
                    currency=str(match.get("8. currency", "")),
                    match_score=_float(match.get("9. matchScore")),
                    provider=NAME,
                )
            )
        return out


def _float(value: Any) -> float | None:
    if value is None or value == "":
        return None
    try:
        return float(Decimal(str(value)))
    except ArithmeticError:
        return None


__all__ = ["AlphaVantage"]
