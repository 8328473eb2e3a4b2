"""The ``marketdata`` command line.

Exit codes: 0 success; 1 some symbols of a multi-symbol ``quote`` failed; 2 usage error
(bad option, interval, date or symbol); 3 unknown symbol; 4 rate limited (the message says
when to retry); 5 providers unavailable; 6 configuration error (keys, secrets file, Vault,
state store).
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Iterator  # noqa: TC003 - typer inspects annotations
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from pydantic import BaseModel, TypeAdapter
from rich import box
from rich.console import Console
from rich.table import Table

from marketdata._client import MarketData
from marketdata._exceptions import (
    ConfigurationError,
    InvalidRequestError,
    MarketDataError,
    ProviderUnavailableError,
    RateLimitedError,
    UnknownSymbolError,
)
from marketdata._version import __version__

EXIT_PARTIAL, EXIT_USAGE, EXIT_UNKNOWN, EXIT_LIMITED, EXIT_UNAVAILABLE, EXIT_CONFIG = (
    1,
    2,
    3,
    4,
    5,
    6,
)

app = typer.Typer(
    name="marketdata",
    help="One client for quotes, history, news, profiles and search across market-data "
    "providers. Exit codes: 0 ok, 1 partial, 2 usage, 3 unknown symbol, 4 rate limited, "
    "5 providers unavailable, 6 configuration.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


def exit_code(exc: MarketDataError) -> int:
    """The exit code for an error (see the module docstring)."""
    if isinstance(exc, InvalidRequestError):
        return EXIT_USAGE
    if isinstance(exc, UnknownSymbolError):
        return EXIT_UNKNOWN
    if isinstance(exc, RateLimitedError):
        return EXIT_LIMITED
    if isinstance(exc, ProviderUnavailableError):
        return EXIT_UNAVAILABLE
    if isinstance(exc, ConfigurationError):
        return EXIT_CONFIG
    return EXIT_UNAVAILABLE


@contextmanager
def _client() -> Iterator[MarketData]:
    try:
        md = MarketData()
    except MarketDataError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    try:
        yield md
    except MarketDataError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(exit_code(exc)) from None
    finally:
        md.close()


def _print_json(data: Any) -> None:
    if isinstance(data, BaseModel):
        text = data.model_dump_json(indent=2)
    elif isinstance(data, list) and all(isinstance(d, BaseModel) for d in data):
        text = TypeAdapter(list[Any]).dump_json(data, indent=2).decode()
    else:
        text = json.dumps(data, indent=2, default=str)
    sys.stdout.write(text + "\n")


def _when(value: Any) -> str:
    return value.strftime("%Y-%m-%d %H:%M:%SZ") if value is not None else ""


def _parse_date(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise typer.BadParameter(f"{name} must be YYYY-MM-DD, got {value!r}") from None


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-marketdata."""
    typer.echo(__version__)


@app.command()
def quote(
    symbols: Annotated[list[str], typer.Argument(help="One or more symbols, e.g. IBM MSFT")],
    as_json: JsonOpt = False,
) -> None:
    """Latest quotes of one or more symbols."""
    with _client() as md:
        batch = md.quotes(symbols)
    if as_json:
        payload: dict[str, Any] = {
            "quotes": [q.model_dump(mode="json") for q in batch.quotes.values()],
            "errors": {s: {"code": e.code, "message": str(e)} for s, e in batch.errors.items()},
        }
        _print_json(payload)
    else:
        table = Table(title="Quotes")
        for column in ("symbol", "price", "change", "change %", "volume", "as of", "provider"):
            table.add_column(column, justify="right" if column in ("price", "volume") else "left")
        for q in batch.quotes.values():
            table.add_row(
                q.symbol,
                str(q.price),
                str(q.change) if q.change is not None else "",
                f"{q.change_percent}%" if q.change_percent is not None else "",
                f"{q.volume:,}" if q.volume is not None else "",
                _when(q.timestamp),
                q.provider + (" (stale)" if q.stale else ""),
            )
        if batch.quotes:
            out.print(table)
        for symbol, error in batch.errors.items():
            text = str(error) if symbol in str(error) else f"{symbol}: {error}"
            err.print(f"[red]error:[/red] {text}", highlight=False)
    if batch.errors:
        codes = {exit_code(e) for e in batch.errors.values()}
        raise typer.Exit(EXIT_PARTIAL if batch.quotes or len(codes) > 1 else codes.pop())


@app.command()
def history(
    symbol: str,
    interval: Annotated[str, typer.Option(help="1min 5min 15min 30min 60min 1d 1wk 1mo")] = "1d",
    start: Annotated[str | None, typer.Option(help="First day, YYYY-MM-DD")] = None,
    end: Annotated[str | None, typer.Option(help="Last day, YYYY-MM-DD")] = None,
    period: Annotated[
        str | None,
        typer.Option("--range", help="Instead of --start: 5d 1mo 3mo 6mo 1y 2y 5y 10y ytd max"),
    ] = None,
    adjusted: Annotated[bool, typer.Option(help="Adjusted closes")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Bars of one symbol."""
    first, last = _parse_date(start, "--start"), _parse_date(end, "--end")
    with _client() as md:
        result = md.history(symbol, interval, first, last, adjusted=adjusted, period=period)
    if as_json:
        _print_json(result)
        return
    stale = " (stale)" if result.stale else ""
    title = f"{result.symbol} {result.interval} ({result.provider}{stale})"
    # no vertical rules and collapsed padding: seven columns fit 80 characters uncut
    table = Table(title=title, box=box.SIMPLE_HEAVY, collapse_padding=True, pad_edge=False)
    # daily bars are stamped 00:00 UTC of their trading day: the date alone says it, and a
    # narrow terminal then never cuts the column to "2024-01-…"
    daily = result.interval in ("1d", "1wk", "1mo")
    adjusted_column = any(bar.adjusted_close is not None for bar in result.bars)
    table.add_column("date" if daily else "time (UTC)", no_wrap=True)
    for column in ("open", "high", "low", "close"):
        table.add_column(column, justify="right", no_wrap=True)
    if adjusted_column:
        table.add_column("adj close", justify="right", no_wrap=True)
    table.add_column("volume", justify="right", no_wrap=True)
    for bar in result.bars:
        row = [
            bar.timestamp.date().isoformat() if daily else _when(bar.timestamp),
            str(bar.open),
            str(bar.high),
            str(bar.low),
            str(bar.close),
        ]
        if adjusted_column:
            row.append(str(bar.adjusted_close) if bar.adjusted_close is not None else "")
        row.append(f"{bar.volume:,}" if bar.volume is not None else "")
        table.add_row(*row)
    out.print(table)
    if not result.bars:
        err.print("no bars in that range")


@app.command()
def news(
    symbol: Annotated[str | None, typer.Argument(help="A symbol; omit for market news")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    as_json: JsonOpt = False,
) -> None:
    """Latest headlines about a symbol, or general market news."""
    with _client() as md:
        items = md.news(symbol, limit=limit)
    if as_json:
        _print_json({"items": [i.model_dump(mode="json") for i in items]})
        return
    table = Table(title=f"News: {symbol or 'market'}")
    for column in ("published (UTC)", "source", "headline", "sentiment"):
        table.add_column(column)
    for item in items:
        sentiment = f"{item.sentiment:+.3f}" if item.sentiment is not None else ""
        table.add_row(_when(item.published_at), item.source, item.headline, sentiment)
    out.print(table)


@app.command()
def search(
    text: Annotated[str, typer.Argument(help="A name or ticker fragment")],
    as_json: JsonOpt = False,
) -> None:
    """Find symbols by name or ticker."""
    with _client() as md:
        matches = md.search(text)
    if as_json:
        _print_json({"matches": [m.model_dump(mode="json") for m in matches]})
        return
    table = Table(title=f"Search: {text}")
    for column in ("symbol", "name", "type", "region", "currency", "score"):
        table.add_column(column)
    for m in matches:
        score = f"{m.match_score:.2f}" if m.match_score is not None else ""
        table.add_row(m.symbol, m.name, m.type, m.region, m.currency, score)
    out.print(table)
    if not matches:
        err.print("no matches")


@app.command()
def profile(symbol: str, as_json: JsonOpt = False) -> None:
    """What the company behind a symbol is."""
    with _client() as md:
        result = md.profile(symbol)
    if as_json:
        _print_json(result)
        return
    table = Table(title=f"{result.symbol} ({result.provider})", show_header=False)
    table.add_column("field")
    table.add_column("value")
    for name, value in result.model_dump().items():
        if name not in ("fetched_at", "provider") and value is not None:
            table.add_row(name, str(value))
    out.print(table)


@app.command()
def stats(as_json: JsonOpt = False) -> None:
    """Cache hits, upstream calls and rate budgets left, across every process."""
    with _client() as md:
        data = md.stats()
    if as_json:
        _print_json({"totals": data["totals"], "limits": data["limits"]})
        return
    totals = Table(title="Totals (all processes)")
    totals.add_column("counter")
    totals.add_column("value", justify="right")
    for name, value in sorted(data["totals"].items()):
        totals.add_row(name, f"{value:,}")
    out.print(totals)
    limits = Table(title="Rate budgets")
    for column in ("provider", "key", "window", "limit", "left", "retry after"):
        limits.add_column(column)
    for row in data["limits"]:
        window = {1.0: "1 s", 60.0: "1 min", 86400.0: "1 day"}.get(
            row["window"], str(row["window"])
        )
        limits.add_row(
            row["provider"],
            row["key"],
            window,
            str(row["limit"]),
            str(row["remaining"]),
            f"{row['retry_after']:.1f} s" if row["retry_after"] else "",
        )
    out.print(limits)


@app.command()
def stream(
    symbols: Annotated[list[str], typer.Argument(help="Symbols, e.g. AAPL BINANCE:BTCUSDT")],
    seconds: Annotated[float, typer.Option(help="Stop after this long (0: until Ctrl-C)")] = 0,
    as_json: JsonOpt = False,
) -> None:
    """Live trades from Finnhub's WebSocket (needs FINNHUB_API_KEY); JSON lines with --json."""
    deadline = time.monotonic() + seconds if seconds > 0 else None
    with _client() as md:
        trades = md.stream_trades(symbols)
        try:
            for trade in trades:
                if as_json:
                    sys.stdout.write(trade.model_dump_json() + "\n")
                    sys.stdout.flush()
                else:
                    out.print(
                        f"{_when(trade.timestamp)}  {trade.symbol:<16} {trade.price:>14} "
                        f"x {trade.volume}",
                        highlight=False,
                    )
                if deadline is not None and time.monotonic() >= deadline:
                    break
        except KeyboardInterrupt:
            pass
        finally:
            trades.close()
