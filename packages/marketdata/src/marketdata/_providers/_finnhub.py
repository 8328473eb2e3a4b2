"""Finnhub REST: ``/quote``, ``/stock/candle``, ``/company-news``, ``/news``,
``/stock/profile2``, ``/search``.

The key travels in the ``X-Finnhub-Token`` header, so it never appears in a URL. Unknown
symbols come back as HTTP 200 with an all-zero quote or an empty profile.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from marketdata._clock import midnight_utc
from marketdata._faults import RequestFault, TransientFault, UnknownFault
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
)
from marketdata._symbols import from_provider, to_provider

if TYPE_CHECKING:
    from marketdata._keys import ApiKey

NAME = "finnhub"
_RESOLUTIONS = {
    "1min": "1",
    "5min": "5",
    "15min": "15",
    "30min": "30",
    "60min": "60",
    "1d": "D",
    "1wk": "W",
    "1mo": "M",
}
_DAILY = {"1d", "1wk", "1mo"}
_MILLION = 1_000_000
_MILLIS_FROM = 95_617_584_000  # 5000-01-01 in Unix seconds


def _stamp(value: Any, *, millis: bool = False) -> datetime:
    """A UTC time from Unix seconds (``millis``: milliseconds, as the WebSocket sends).

    Seconds past the year 5000 are read as milliseconds: REST answers are documented in
    seconds, but a value a thousand times too large is unambiguous.

    Raises:
        TransientFault: missing, not a number, or not after 1970.
    """
    if isinstance(value, bool):
        raise TransientFault("malformed timestamp")
    try:
        number = float(value)
        if millis or number > _MILLIS_FROM:
            number /= 1000
        if not number > 0:
            raise TransientFault("malformed timestamp")
        return datetime.fromtimestamp(number, tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        raise TransientFault("malformed timestamp") from None


class Finnhub:
    """The Finnhub provider."""

    name = NAME

    def __init__(
        self,
        base_url: str = "https://finnhub.io/api/v1",
        *,
        limits: list[tuple[int, float]] | None = None,
    ) -> None:
        """Create the provider.

        Args:
            limits: Budgets per key as (calls, window seconds); default the free tier's.
            base_url: The API root (``MARKETDATA_FINNHUB_URL``), paths are appended.
        """
        self.base_url = base_url.rstrip("/")
        self.limits = limits if limits is not None else [(30, 1.0), (60, 60.0)]

    def supports(self, query: Query, key: ApiKey) -> bool:
        """Every kind; adjusted bars are not offered (candles are split-adjusted only)."""
        del key
        return not (query.kind == "history" and query.adjusted)

    def build(self, query: Query, key: ApiKey, now: datetime) -> Request:
        """Build the request; the key goes in the ``X-Finnhub-Token`` header."""
        headers = {"X-Finnhub-Token": key.secret.get_secret_value(), "Accept": "application/json"}
        symbol = to_provider(query.symbol, NAME) if query.symbol else ""
        if query.kind == "quote":
            return Request("/quote", {"symbol": symbol}, headers, "quote")
        if query.kind == "history":
            interval = query.interval or "1d"
            end = query.end or now.date()
            start = query.start or (end - timedelta(days=30))
            params = {
                "symbol": symbol,
                "resolution": _RESOLUTIONS[interval],
                "from": str(int(midnight_utc(start).timestamp())),
                "to": str(int((midnight_utc(end) + timedelta(days=1)).timestamp()) - 1),
            }
            return Request("/stock/candle", params, headers, "stock/candle")
        if query.kind == "news":
            if symbol:
                end = query.end or now.date()
                start = query.start or (end - timedelta(days=7))
                params = {"symbol": symbol, "from": start.isoformat(), "to": end.isoformat()}
                return Request("/company-news", params, headers, "company-news")
            return Request("/news", {"category": "general"}, headers, "news")
        if query.kind == "profile":
            return Request("/stock/profile2", {"symbol": symbol}, headers, "stock/profile2")
        return Request("/search", {"q": query.text or ""}, headers, "search")

    def parse(self, query: Query, response: RawResponse, fetched_at: datetime) -> Result:
        """Parse an answer into models, or raise the matching fault."""
        check_status(response)
        data = decode_json(response.body)
        if isinstance(data, dict) and "error" in data:
            # Finnhub's HTTP-200 refusal (no access, bad parameter): recognised by key, never
            # cached, not retried on this provider; its wording is not echoed
            raise RequestFault("error answer")
        if query.kind == "quote":
            return self._quote(query, data, fetched_at)
        if query.kind == "history":
            return self._history(query, data, fetched_at)
        if query.kind == "news":
            return self._news(query, data, fetched_at)
        if query.kind == "profile":
            return self._profile(query, data, fetched_at)
        return self._search(data)

    def _quote(self, query: Query, data: Any, fetched_at: datetime) -> Quote:
        if not isinstance(data, dict) or "c" not in data or "t" not in data:
            raise TransientFault("malformed quote")
        price = dec(data["c"], field_name="c")
        previous_close = opt_dec(data.get("pc"), field_name="pc")
        if price == 0 and not previous_close and not data["t"]:
            raise UnknownFault("all-zero quote")
        if price <= 0:
            # a known symbol without a trade yet (pre-market, a new listing): no price to
            # serve or cache; the next provider may have one
            raise RequestFault("no current price")
        previous = previous_close
        change = opt_dec(data.get("d"), field_name="d")
        percent = opt_dec(data.get("dp"), field_name="dp")
        if change is None and previous is not None:
            change = price - previous
        if percent is None and change is not None and previous:
            percent = round(change / previous * 100, 4)
        return Quote(
            symbol=query.symbol or "",
            price=price,
            open=opt_dec(data.get("o"), field_name="o"),
            high=opt_dec(data.get("h"), field_name="h"),
            low=opt_dec(data.get("l"), field_name="l"),
            previous_close=previous,
            change=change,
            change_percent=percent,
            volume=None,
            timestamp=_stamp(data["t"]),
            provider=NAME,
            fetched_at=fetched_at,
        )

    def _history(self, query: Query, data: Any, fetched_at: datetime) -> History:
        if not isinstance(data, dict) or "s" not in data:
            raise TransientFault("malformed candles")
        interval = query.interval or "1d"
        bars: list[Bar] = []
        if data["s"] == "ok":
            try:
                columns = [data[k] for k in ("t", "o", "h", "l", "c")]
                volumes = data.get("v") or [None] * len(columns[0])
                if any(len(col) != len(columns[0]) for col in [*columns, volumes]):
                    raise TransientFault("candle columns of unequal length")
                for t, o, h, low, c, v in zip(*columns, volumes, strict=True):
                    stamp = _stamp(t)
                    if interval in _DAILY:
                        stamp = midnight_utc(stamp.date())
                    bars.append(
                        Bar(
                            timestamp=stamp,
                            open=dec(o, field_name="o"),
                            high=dec(h, field_name="h"),
                            low=dec(low, field_name="l"),
                            close=dec(c, field_name="c"),
                            volume=opt_volume(v, field_name="v"),
                        )
                    )
            except (KeyError, TypeError):
                raise TransientFault("malformed candles") from None
        elif data["s"] != "no_data":
            raise TransientFault("unexpected candle status")
        bars.sort(key=lambda bar: bar.timestamp)
        return History(
            symbol=query.symbol or "",
            interval=interval,
            bars=bars,
            provider=NAME,
            fetched_at=fetched_at,
        )

    def _news(self, query: Query, data: Any, fetched_at: datetime) -> list[NewsItem]:
        if not isinstance(data, list):
            raise TransientFault("malformed news list")
        items: list[NewsItem] = []
        for entry in data:
            if not isinstance(entry, dict) or "url" not in entry:
                continue
            try:
                published = _stamp(entry["datetime"])
            except (KeyError, TransientFault):
                continue
            related = [from_provider(s, NAME) for s in str(entry.get("related", "")).split(",")]
            items.append(
                NewsItem(
                    id=str(entry.get("id", "")),
                    headline=str(entry.get("headline", "")).strip(),
                    summary=str(entry.get("summary", "")),
                    url=str(entry["url"]),
                    source=str(entry.get("source", "")),
                    published_at=published,
                    symbols=[s for s in related if s],
                    sentiment=None,
                    image_url=opt_str(entry.get("image")),
                    provider=NAME,
                    fetched_at=fetched_at,
                )
            )
        items.sort(key=lambda item: item.published_at, reverse=True)
        return items[: query.limit] if query.limit else items

    def _profile(self, query: Query, data: Any, fetched_at: datetime) -> Profile:
        if not isinstance(data, dict):
            raise TransientFault("malformed profile")
        if not data or not data.get("name"):
            raise UnknownFault("empty profile")
        cap = opt_dec(data.get("marketCapitalization"), field_name="marketCapitalization")
        return Profile(
            symbol=query.symbol or from_provider(str(data.get("ticker", "")), NAME),
            name=str(data["name"]),
            exchange=str(data.get("exchange", "")),
            currency=str(data.get("currency", "")),
            country=str(data.get("country", "")),
            industry=str(data.get("finnhubIndustry", "")),
            market_cap=(cap * _MILLION).quantize(Decimal(1)) if cap is not None else None,
            ipo=opt_str(data.get("ipo")),
            website=opt_str(data.get("weburl")),
            logo=opt_str(data.get("logo")),
            description=None,
            provider=NAME,
            fetched_at=fetched_at,
        )

    def _search(self, data: Any) -> list[SymbolMatch]:
        if not isinstance(data, dict) or not isinstance(data.get("result"), list):
            raise TransientFault("malformed search answer")
        out: list[SymbolMatch] = []
        for match in data["result"]:
            if not isinstance(match, dict) or not match.get("symbol"):
                continue
            out.append(
                SymbolMatch(
                    symbol=from_provider(str(match["symbol"]), NAME),
                    name=str(match.get("description", "")),
                    type=str(match.get("type", "")),
                    region="",
                    currency="",
                    match_score=None,
                    provider=NAME,
                )
            )
        return out


__all__ = ["Finnhub"]
