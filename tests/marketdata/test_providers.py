"""Parsing the real provider payloads in the shared fixtures (SOURCES.md lists them)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import pytest
from pydantic import SecretStr

from marketdata._faults import (
    AccessFault,
    LimitFault,
    RequestFault,
    TransientFault,
    UnknownFault,
)
from marketdata._keys import ApiKey
from marketdata._providers import AlphaVantage, Finnhub, Query, RawResponse

if TYPE_CHECKING:
    from pathlib import Path

FETCHED = datetime(2024, 3, 4, 15, 0, tzinfo=UTC)
AV = AlphaVantage("http://av.test")
FH = Finnhub("http://fh.test/api/v1")


def av_parse(query: Query, response: RawResponse, fetched: datetime) -> Any:
    return AV.parse(query, response, fetched)


def fh_parse(query: Query, response: RawResponse, fetched: datetime) -> Any:
    return FH.parse(query, response, fetched)


def raw(path: Path, status: int = 200, headers: dict[str, str] | None = None) -> RawResponse:
    return RawResponse(status, headers or {}, path.read_bytes())


@pytest.fixture
def fx(fixtures_dir: Path) -> Path:
    return fixtures_dir / "providers"


class TestAlphaVantageQuote:
    def test_ibm_quote_is_exact_and_utc(self, fx: Path) -> None:
        quote = av_parse(
            Query("quote", symbol="IBM"), raw(fx / "alphavantage_global_quote_ibm.json"), FETCHED
        )
        assert quote.price == Decimal("121.7400")
        assert quote.change_percent == Decimal("0.4207")
        assert quote.volume == 2528814
        # latest trading day 2020-05-08 closes 16:00 EDT = 20:00 UTC
        assert quote.timestamp == datetime(2020, 5, 8, 20, 0, tzinfo=UTC)
        assert quote.provider == "alphavantage"
        assert quote.stale  # years older than the fetch

    def test_negative_change_percent(self, fx: Path) -> None:
        quote = av_parse(
            Query("quote", symbol="MSFT"), raw(fx / "alphavantage_global_quote_msft.json"), FETCHED
        )
        assert quote.change == Decimal("-0.6600")
        assert quote.change_percent == Decimal("-0.5852")

    def test_winter_close_is_21_utc(self, fx: Path) -> None:
        quote = av_parse(
            Query("quote", symbol="300135.SZ"),
            raw(fx / "alphavantage_global_quote_300135-shz_nonus.json"),
            FETCHED,
        )
        assert quote.timestamp == datetime(2024, 3, 1, 21, 0, tzinfo=UTC)  # EST
        assert not quote.stale

    def test_empty_global_quote_is_unknown(self, fx: Path) -> None:
        with pytest.raises(UnknownFault):
            av_parse(
                Query("quote", symbol="NOPE"),
                raw(fx / "alphavantage_global_quote_empty_unknown_symbol.json"),
                FETCHED,
            )

    @pytest.mark.parametrize(
        "name",
        [
            "alphavantage_note_rate_limit_per_minute.json",
            "alphavantage_information_rate_limit_daily_25.json",
            "alphavantage_information_rate_limit_2025_variant.json",
            "alphavantage_information_rate_limit_legacy_2018.json",
            "alphavantage_information_premium_endpoint.json",
        ],
    )
    def test_http_200_limit_answers_are_limit_faults(self, fx: Path, name: str) -> None:
        with pytest.raises(LimitFault):
            av_parse(Query("quote", symbol="IBM"), raw(fx / name), FETCHED)

    @pytest.mark.parametrize(
        "name",
        [
            "alphavantage_error_invalid_call_time_series_daily.json",
            "alphavantage_error_invalid_call_time_series_intraday.json",
        ],
    )
    def test_error_message_means_unknown_for_a_symbol(self, fx: Path, name: str) -> None:
        with pytest.raises(UnknownFault):
            av_parse(Query("history", symbol="X026.DE", interval="1d"), raw(fx / name), FETCHED)

    def test_error_message_on_a_quote_is_not_an_unknown_symbol(self, fx: Path) -> None:
        # GLOBAL_QUOTE reports unknown symbols with an empty object; this is a bad key
        with pytest.raises(RequestFault):
            av_parse(
                Query("quote", symbol="IBM"),
                raw(fx / "alphavantage_error_invalid_apikey.json"),
                FETCHED,
            )

    def test_error_message_on_search_is_a_request_fault(self, fx: Path) -> None:
        with pytest.raises(RequestFault):
            av_parse(
                Query("search", text="x"),
                raw(fx / "alphavantage_error_invalid_apikey.json"),
                FETCHED,
            )


class TestAlphaVantageSeries:
    def test_daily_compact_is_sorted_and_midnight_utc(self, fx: Path) -> None:
        history = av_parse(
            Query("history", symbol="IBM", interval="1d"),
            raw(fx / "alphavantage_time_series_daily_ibm_compact.json"),
            FETCHED,
        )
        assert len(history.bars) == 100
        assert history.bars[-1].timestamp == datetime(2023, 11, 10, tzinfo=UTC)
        assert history.bars[-1].close == Decimal("149.0200")
        stamps = [bar.timestamp for bar in history.bars]
        assert stamps == sorted(stamps)

    def test_daily_range_filter(self, fx: Path) -> None:
        history = av_parse(
            Query(
                "history",
                symbol="IBM",
                interval="1d",
                start=date(2023, 11, 6),
                end=date(2023, 11, 8),
            ),
            raw(fx / "alphavantage_time_series_daily_ibm_compact.json"),
            FETCHED,
        )
        assert [b.timestamp.day for b in history.bars] == [6, 7, 8]

    def test_adjusted_close(self, fx: Path) -> None:
        history = av_parse(
            Query("history", symbol="IBM", interval="1d", adjusted=True),
            raw(fx / "alphavantage_time_series_daily_adjusted_ibm_truncated.json"),
            FETCHED,
        )
        assert history.bars[-1].adjusted_close == Decimal("121.8050")
        assert history.bars[0].volume == 4412047

    def test_intraday_est_converted(self, fx: Path) -> None:
        history = av_parse(
            Query("history", symbol="MSFT", interval="1min"),
            raw(fx / "alphavantage_time_series_intraday_msft_1min.json"),
            FETCHED,
        )
        # 2017-12-18 14:56 US/Eastern is EST (UTC-5)
        assert history.bars[-1].timestamp == datetime(2017, 12, 18, 19, 56, tzinfo=UTC)

    def test_intraday_edt_converted(self, fx: Path) -> None:
        history = av_parse(
            Query("history", symbol="IBM", interval="5min"),
            raw(fx / "alphavantage_time_series_intraday_ibm_5min_truncated.json"),
            FETCHED,
        )
        # 2020-05-08 14:05 US/Eastern is EDT (UTC-4)
        assert history.bars[-1].timestamp == datetime(2020, 5, 8, 18, 5, tzinfo=UTC)
        assert history.bars[-1].low == Decimal("121.7225")


class TestAlphaVantageOther:
    def test_news_sentiment_for_the_asked_ticker(self, fx: Path) -> None:
        items = av_parse(
            Query("news", symbol="IBM"),
            raw(fx / "alphavantage_news_sentiment_ibm_2022_truncated.json"),
            FETCHED,
        )
        assert len(items) == 3
        assert all(item.published_at.tzinfo is UTC for item in items)
        first = next(i for i in items if "Malaysia" in i.headline)
        assert first.sentiment == pytest.approx(0.004113)  # IBM's ticker score, not overall
        assert "IBM" in first.symbols
        assert len({item.id for item in items}) == 3

    def test_scientific_notation_scores(self, fx: Path) -> None:
        items = av_parse(
            Query("news", symbol=None),
            raw(fx / "alphavantage_news_sentiment_ibm_2022_truncated.json"),
            FETCHED,
        )
        assert all(item.sentiment is None or -1 <= item.sentiment <= 1 for item in items)

    def test_search_maps_exchange_suffixes(self, fx: Path) -> None:
        matches = av_parse(
            Query("search", text="tesco"),
            raw(fx / "alphavantage_symbol_search_tesco_nonus.json"),
            FETCHED,
        )
        assert matches[0].symbol == "TSCO.L"
        assert matches[0].currency == "GBX"
        assert matches[0].match_score == pytest.approx(0.7273)
        assert matches[3].symbol == "TCO2.F"

    def test_search_hong_kong(self, fx: Path) -> None:
        matches = av_parse(
            Query("search", text="BA"),
            raw(fx / "alphavantage_symbol_search_ba_with_hkg.json"),
            FETCHED,
        )
        assert "6190.HK" in [m.symbol for m in matches]

    def test_demo_key_serves_ibm_only(self) -> None:
        demo = ApiKey("alphavantage", SecretStr("demo"), "demo")
        assert AV.supports(Query("quote", symbol="IBM"), demo)
        assert not AV.supports(Query("quote", symbol="MSFT"), demo)

    def test_key_goes_in_apikey_param_added_by_the_transport(self) -> None:
        key = ApiKey("alphavantage", SecretStr("SECRETKEY9"))
        request = AV.build(Query("quote", symbol="BRK.B"), key, FETCHED)
        assert request.params == {"function": "GLOBAL_QUOTE", "symbol": "BRK-B"}
        assert request.secret_params == {"apikey": "SECRETKEY9"}
        assert "SECRETKEY9" not in repr(request)


class TestFinnhub:
    def test_quote(self, fx: Path) -> None:
        quote = fh_parse(
            Query("quote", symbol="AAPL"), raw(fx / "finnhub_quote_aapl.json"), FETCHED
        )
        assert quote.price == Decimal("162.74")
        assert quote.low == Decimal(152)
        assert quote.change_percent == Decimal("1.668")
        assert quote.timestamp == datetime.fromtimestamp(1645736402, tz=UTC)

    def test_quote_without_d_dp_computes_change(self, fx: Path) -> None:
        quote = fh_parse(
            Query("quote", symbol="AAPL"),
            raw(fx / "finnhub_quote_docs_sample_no_d_dp.json"),
            FETCHED,
        )
        assert quote.change == Decimal("2.29")
        assert quote.change_percent == Decimal("0.8826")

    def test_all_zero_quote_is_unknown(self, fx: Path) -> None:
        with pytest.raises(UnknownFault):
            fh_parse(
                Query("quote", symbol="NOPE"),
                raw(fx / "finnhub_quote_unknown_symbol_all_zero.json"),
                FETCHED,
            )

    def test_candles_exact(self, fx: Path) -> None:
        history = fh_parse(
            Query("history", symbol="AAPL", interval="1d"),
            raw(fx / "finnhub_stock_candle_aapl_daily_split_adjusted_2020.json"),
            FETCHED,
        )
        assert len(history.bars) == 8
        assert history.bars[0].close == Decimal("80.834999084473")
        assert history.bars[0].timestamp == datetime(2020, 6, 2, tzinfo=UTC)

    def test_no_data_candles_are_empty(self, fx: Path) -> None:
        history = fh_parse(
            Query("history", symbol="AAPL", interval="1d"),
            raw(fx / "finnhub_stock_candle_no_data.json"),
            FETCHED,
        )
        assert history.bars == []

    def test_profile_market_cap_in_units(self, fx: Path) -> None:
        profile = fh_parse(
            Query("profile", symbol="AAPL"), raw(fx / "finnhub_stock_profile2_aapl.json"), FETCHED
        )
        assert profile.market_cap == Decimal(2681611) * 1_000_000
        assert profile.ipo == "1980-12-12"
        assert profile.industry == "Technology"

    def test_company_news_empty_image_is_none(self, fx: Path) -> None:
        items = fh_parse(
            Query("news", symbol="AAPL"),
            raw(fx / "finnhub_company_news_aapl_truncated.json"),
            FETCHED,
        )
        assert len(items) == 3
        assert any(item.image_url is None for item in items)
        assert items[0].published_at >= items[-1].published_at

    def test_general_news(self, fx: Path) -> None:
        items = fh_parse(Query("news"), raw(fx / "finnhub_news_general_docs_sample.json"), FETCHED)
        assert items
        assert all(item.symbols == [] for item in items)

    @pytest.mark.parametrize(
        "name",
        [
            "finnhub_search_apple_docs_sample.json",
            "finnhub_search_aapl_cross_listings_no_count.json",
        ],
    )
    def test_search(self, fx: Path, name: str) -> None:
        matches = fh_parse(Query("search", text="apple"), raw(fx / name), FETCHED)
        assert matches[0].symbol == "AAPL"

    @pytest.mark.parametrize(
        ("name", "status", "fault"),
        [
            ("finnhub_error_invalid_api_key_401.json", 401, AccessFault),
            ("finnhub_error_no_access_premium_403.json", 403, AccessFault),
            ("finnhub_error_rate_limit_429.json", 429, LimitFault),
        ],
    )
    def test_error_statuses(self, fx: Path, name: str, status: int, fault: type[Exception]) -> None:
        with pytest.raises(fault):
            fh_parse(Query("quote", symbol="AAPL"), raw(fx / name, status), FETCHED)

    def test_retry_after_is_read(self, fx: Path) -> None:
        with pytest.raises(LimitFault) as info:
            fh_parse(
                Query("quote", symbol="AAPL"),
                raw(fx / "finnhub_error_rate_limit_429.json", 429, {"retry-after": "7"}),
                FETCHED,
            )
        assert info.value.retry_after == 7.0

    def test_key_in_header_not_url(self) -> None:
        key = ApiKey("finnhub", SecretStr("SECRETKEY9"))
        request = FH.build(Query("quote", symbol="AAPL"), key, FETCHED)
        assert "SECRETKEY9" not in str(request.params)
        assert request.headers["X-Finnhub-Token"] == "SECRETKEY9"


class TestMalformed:
    @pytest.mark.parametrize(
        "body",
        [b"", b"   ", b"{", b"<html>502</html>", b'{"Global Quote": "x"}', b"[]"],
    )
    def test_alphavantage_malformed_bodies_are_transient(self, body: bytes) -> None:
        with pytest.raises(TransientFault):
            av_parse(Query("quote", symbol="IBM"), RawResponse(200, {}, body), FETCHED)

    @pytest.mark.parametrize(
        "body", [b"", b'{"c":', b'{"c": "abc", "t": 5, "pc": 1}', b'{"s":"ok","t":[1],"c":[]}']
    )
    def test_finnhub_malformed_bodies_are_transient(self, body: bytes) -> None:
        query = (
            Query("history", symbol="AAPL", interval="1d")
            if b'"s"' in body
            else Query("quote", symbol="AAPL")
        )
        with pytest.raises(TransientFault):
            fh_parse(query, RawResponse(200, {}, body), FETCHED)

    @pytest.mark.parametrize("status", [500, 502, 503, 504])
    def test_5xx_is_transient(self, status: int) -> None:
        with pytest.raises(TransientFault):
            fh_parse(Query("quote", symbol="AAPL"), RawResponse(status, {}, b"oops"), FETCHED)


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [("7", 7.0), ("0", 0.0), ("-3", None), ("soon", None), ("999999", None)],
    )
    def test_seconds_form(self, value: str, expected: float | None) -> None:
        from marketdata._providers._base import parse_retry_after

        assert parse_retry_after({"retry-after": value}) == expected

    def test_http_date_form(self) -> None:
        from email.utils import format_datetime

        from marketdata._providers._base import parse_retry_after

        when = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=30)
        seconds = parse_retry_after({"Retry-After": format_datetime(when, usegmt=True)})
        assert seconds is not None
        assert 25 <= seconds <= 30
