"""The provider protocol and the values that cross it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING, Any, Literal, Protocol

from marketdata._faults import AccessFault, LimitFault, RequestFault, TransientFault
from marketdata._models import History, Interval, NewsItem, Profile, Quote, SymbolMatch

if TYPE_CHECKING:
    from collections.abc import Mapping
    from datetime import date

    from marketdata._keys import ApiKey

Kind = Literal["quote", "history", "news", "profile", "search"]
Result = Quote | History | Profile | list[NewsItem] | list[SymbolMatch]


@dataclass(frozen=True)
class Query:
    """One distinct datum a caller asks for; equal queries share one cache entry."""

    kind: Kind
    symbol: str | None = None
    interval: Interval | None = None
    start: date | None = None
    end: date | None = None
    adjusted: bool = False
    text: str | None = None
    limit: int | None = None

    @property
    def cache_key(self) -> str:
        """A stable key naming this datum (no provider, no key)."""
        parts = [
            self.kind,
            self.symbol or "",
            self.interval or "",
            self.start.isoformat() if self.start else "",
            self.end.isoformat() if self.end else "",
            "adj" if self.adjusted else "",
            (self.text or "").lower(),
            str(self.limit or ""),
        ]
        return "|".join(parts)


@dataclass(frozen=True)
class Request:
    """One HTTP GET to make.

    A key travels in ``headers`` or in ``secret_params``; the latter are added to the URL only
    inside the transport, so the URL httpx logs or attaches to errors never holds them.
    """

    path: str
    params: dict[str, str] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)
    endpoint: str = ""
    secret_params: dict[str, str] = field(default_factory=dict, repr=False)


@dataclass(frozen=True)
class RawResponse:
    """What came back, before parsing."""

    status: int
    headers: Mapping[str, str]
    body: bytes


class Provider(Protocol):
    """A market-data provider: builds requests and parses their answers.

    A new provider is one module implementing this protocol; pass an instance in
    ``providers=`` (and its keys in ``keys=``), or add it to ``_core.make_providers``.
    """

    name: str
    base_url: str
    limits: list[tuple[int, float]]
    """Rate budgets of one key, as (calls, window seconds), shared across processes."""

    def supports(self, query: Query, key: ApiKey) -> bool:
        """Whether this provider, with this key, can answer ``query`` at all."""
        ...

    def build(self, query: Query, key: ApiKey, now: datetime) -> Request:
        """The HTTP request answering ``query``."""
        ...

    def parse(self, query: Query, response: RawResponse, fetched_at: datetime) -> Result:
        """Parse an answer into models, or raise a ``_faults.Fault``."""
        ...


def decode_json(body: bytes) -> Any:
    """Decode a body with exact decimals.

    Raises:
        TransientFault: the body is empty or not JSON.
    """
    if not body.strip():
        raise TransientFault("empty body")
    try:
        return json.loads(body, parse_float=Decimal)
    except (ValueError, UnicodeDecodeError):
        raise TransientFault("malformed JSON body") from None


def parse_retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds from a ``Retry-After`` header (delta-seconds form), if present and sane."""
    value = headers.get("retry-after") or headers.get("Retry-After")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        try:  # the HTTP-date form
            when = parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            return None
        if when.tzinfo is None:
            when = when.replace(tzinfo=UTC)
        seconds = (when - datetime.now(UTC)).total_seconds()
        seconds = max(seconds, 0.0)
    return seconds if 0 <= seconds <= 86_400 else None


def check_status(response: RawResponse) -> None:
    """Map HTTP status codes shared by every provider to faults.

    Raises:
        LimitFault: 429.
        AccessFault: 401, 403.
        TransientFault: 5xx, 408.
        RequestFault: other 4xx.
    """
    status = response.status
    if status == 200:
        return
    if status == 429:
        raise LimitFault("HTTP 429", parse_retry_after(response.headers))
    if status in (401, 403):
        raise AccessFault(f"HTTP {status}", whole_key=status == 401)
    if status >= 500 or status == 408:
        raise TransientFault(f"HTTP {status}")
    raise RequestFault(f"HTTP {status}")


_MAX_EXPONENT = 18


def dec(value: Any, *, field_name: str) -> Decimal:
    """A Decimal from a JSON string or number.

    Raises:
        TransientFault: the value is not a number (a malformed body).
    """
    if isinstance(value, bool) or value is None:
        raise TransientFault(f"malformed number in {field_name}")
    try:
        result = Decimal(str(value).strip().rstrip("%"))
    except (InvalidOperation, ValueError):
        raise TransientFault(f"malformed number in {field_name}") from None
    # an exponent this far out is no price or volume; it would also make later arithmetic
    # (change, percent, ``int()``) pathological
    if not result.is_finite() or abs(result.adjusted()) > _MAX_EXPONENT:
        raise TransientFault(f"malformed number in {field_name}")
    return result


def price(value: Any, *, field_name: str) -> Decimal:
    """A positive Decimal price.

    Raises:
        TransientFault: not a number, or zero or negative (no listed equity trades there).
    """
    result = dec(value, field_name=field_name)
    if result <= 0:
        raise TransientFault(f"non-positive price in {field_name}")
    return result


def opt_volume(value: Any, *, field_name: str) -> int | None:
    """A non-negative whole volume, or None when missing (``""``, ``"None"``, ``"-"``).

    Raises:
        TransientFault: not a number, or negative.
    """
    result = opt_dec(value, field_name=field_name)
    if result is None:
        return None
    if result < 0:
        raise TransientFault(f"negative volume in {field_name}")
    return int(result)


def opt_dec(value: Any, *, field_name: str) -> Decimal | None:
    """Like :func:`dec`, but ``None``/``""``/``"None"``/``"-"`` give None."""
    if value is None or (isinstance(value, str) and value.strip() in ("", "None", "-")):
        return None
    return dec(value, field_name=field_name)


def opt_str(value: Any) -> str | None:
    """A non-empty string or None (providers write missing values as ``""`` or ``"None"``)."""
    if value is None:
        return None
    text = str(value).strip()
    return None if text in ("", "None", "-") else text
