"""``/v1/quotes``: one quote, or several in one call."""

import logging
import re
from typing import Annotated, cast

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response
from starlette.types import ASGIApp

from bridge import _metrics
from bridge._deps import ErrorMapDep, MarketDataDep
from bridge._errors import ErrorDetail
from bridge._schemas import QuotePublic, QuotesPublic
from bridge._shared import MARKET_RESPONSES, SYMBOL_PATTERN, json_response
from marketdata import Quote

logger = logging.getLogger(__name__)

router = APIRouter(tags=["market data"], responses=MARKET_RESPONSES)

MAX_SYMBOLS = 50
Symbol = Annotated[
    str,
    Path(
        min_length=1,
        max_length=32,
        pattern=SYMBOL_PATTERN,
        description="Ticker, e.g. IBM, BRK.B, VOD.LON",
    ),
]


@router.get(
    "/v1/quotes/{symbol}", response_model=QuotePublic, summary="The latest quote of one symbol"
)
async def get_quote(symbol: Symbol, request: Request) -> Response:
    """The latest quote. Cached per freshness window; ``stale: true`` when providers failed."""
    # The same answer the middleware gives on its fast path (`fast_quote`), so the two cannot
    # drift; requests reach this route only when that path is off or the symbol needs routing.
    return await fast_quote(request.app, symbol)


# What the route's path parameter accepts, minus "/" (which its path template never matches).
FAST_SYMBOL = re.compile(SYMBOL_PATTERN.strip("^$").replace("/", ""))
FAST_ROUTE = "/v1/quotes/{symbol}"


async def fast_quote(app: ASGIApp, symbol: str) -> Response:
    """The answer of ``GET /v1/quotes/{symbol}`` without FastAPI's routing and dependencies.

    The hottest route, answered by `RequestContextMiddleware` directly once the token is
    checked and ``symbol`` is known to pass the route's validation (``FAST_SYMBOL``): routing
    over every route and solving the path parameter cost more than a cached quote. The answer
    is the route's own: the same quote bytes, and package errors mapped by the same error map.

    Args:
        app: the bridge application (its state holds the services and the error map).
        symbol: a symbol matching ``FAST_SYMBOL``.

    Returns:
        The quote, or the mapped error.

    Raises:
        Exception: an error the error map does not know (the middleware answers 500).
    """
    state = app.state  # type: ignore[attr-defined]
    try:
        quote = await state.services.marketdata.quote(symbol)
    except Exception as exc:
        _QUOTE_ERROR.inc()
        response = state.error_map.respond(exc)
        if response is None:
            raise
        if response.status_code >= 500:
            logger.warning(
                "upstream failure answered %s",
                response.status_code,
                extra={"error_type": type(exc).__name__, "path": f"/v1/quotes/{symbol}"},
            )
        return cast("Response", response)
    (_QUOTE_STALE if quote.stale else _QUOTE_OK).inc()
    return json_response(_serialised(quote))


_QUOTE_OK = _metrics.MARKETDATA_CALLS.labels("quote", "ok")
_QUOTE_STALE = _metrics.MARKETDATA_CALLS.labels("quote", "stale")
_QUOTE_ERROR = _metrics.MARKETDATA_CALLS.labels("quote", "error")
_JSON_CACHE: dict[int, tuple[Quote, bytes]] = {}


def _serialised(quote: Quote) -> bytes:
    """The JSON of a quote, kept while marketdata keeps serving the same (frozen) object."""
    key = id(quote)
    hit = _JSON_CACHE.get(key)
    if hit is not None and hit[0] is quote:
        return hit[1]
    if len(_JSON_CACHE) >= 4096:
        _JSON_CACHE.clear()
    body = quote.model_dump_json().encode()
    _JSON_CACHE[key] = (quote, body)
    return body


@router.get("/v1/quotes", response_model=QuotesPublic, summary="Quotes of several symbols")
async def get_quotes(
    symbols: Annotated[
        str,
        Query(
            min_length=1,
            max_length=MAX_SYMBOLS * 33,
            description=f"Comma-separated symbols, at most {MAX_SYMBOLS}.",
            examples=["IBM,MSFT"],
        ),
    ],
    marketdata: MarketDataDep,
    errors: ErrorMapDep,
    request: Request,
) -> Response:
    """Quotes of several symbols fetched concurrently; one failure spoils none.

    ``symbols`` given more than once (``?symbols=IBM&symbols=MSFT``, as some HTTP clients
    encode a list) counts every occurrence, not only the last; a symbol named twice is asked
    for once.
    """
    given = request.query_params.getlist("symbols") or [symbols]
    wanted = list(
        dict.fromkeys(part.strip() for value in given for part in value.split(",") if part.strip())
    )
    if not wanted:
        return errors.invalid("query.symbols: name at least one symbol")
    if len(wanted) > MAX_SYMBOLS:
        return errors.invalid(f"query.symbols: at most {MAX_SYMBOLS} symbols, got {len(wanted)}")
    batch = await marketdata.quotes(wanted)
    _metrics.MARKETDATA_CALLS.labels("quotes", "ok").inc(len(batch.quotes))
    _metrics.MARKETDATA_CALLS.labels("quotes", "error").inc(len(batch.errors))
    body = QuotesPublic.model_construct(
        quotes=cast("list[QuotePublic]", list(batch.quotes.values())),
        errors={
            symbol: ErrorDetail(code=errors.code_for(exc), message=str(exc))
            for symbol, exc in batch.errors.items()
        },
    )
    return json_response(body.model_dump_json())
