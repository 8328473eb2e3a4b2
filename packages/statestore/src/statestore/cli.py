"""The `statestore` command line: what a state store holds.

Exit codes: 0 success; 1 the store is unavailable or failed; 2 a bad URL or bad arguments.
"""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from statestore._exceptions import InvalidStateURLError, StateStoreError
from statestore._open import open_store
from statestore._version import __version__

if TYPE_CHECKING:
    from statestore._store import StateStore

app = typer.Typer(
    name="statestore",
    help="Shared state: cache, locks, rate limits, queues and streams on SQLite or Redis.",
    no_args_is_help=True,
)

UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url",
        help="sqlite:///abs/dir or redis://host:port/db "
        "(default: SWITCHYARD_STATE_URL, else SQLite under SWITCHYARD_HOME).",
        show_default=False,
    ),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help. Exit codes: 0 ok, 1 store error, 2 bad URL."""


@app.command()
def version() -> None:
    """Print the version of switchyard-statestore."""
    typer.echo(__version__)


def _open(url: str | None) -> StateStore:
    err = Console(stderr=True)
    try:
        return open_store(url)
    except InvalidStateURLError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except StateStoreError as exc:
        err.print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None


def _when(ts: float | None) -> str:
    if ts is None:
        return ""
    return datetime.fromtimestamp(ts, UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def _payload_text(payload: bytes) -> dict[str, str]:
    try:
        return {"payload": payload.decode("utf-8")}
    except UnicodeDecodeError:
        return {"payload_base64": base64.b64encode(payload).decode("ascii")}


def _preview(payload: bytes, width: int = 60) -> str:
    text = payload.decode("utf-8", errors="replace")
    return text if len(text) <= width else text[: width - 1] + "…"


@app.command()
def info(url: UrlOption = None, as_json: JsonOption = False) -> None:
    """Show the backend, where it lives, and the size of every stream and queue."""
    store = _open(url)
    try:
        details = store.info()
    except StateStoreError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        data: dict[str, Any] = {
            "backend": details.backend,
            "location": details.location,
            "streams": details.streams,
            "queues": {
                name: {"pending": s.pending, "leased": s.leased, "dead": s.dead}
                for name, s in details.queues.items()
            },
        }
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    console.print(f"[bold]backend[/] {details.backend}   [bold]location[/] {details.location}")
    streams = Table(title="Streams")
    streams.add_column("stream")
    streams.add_column("entries", justify="right")
    for name, length in details.streams.items():
        streams.add_row(name, str(length))
    queues = Table(title="Queues")
    for column in ("queue", "pending", "leased", "dead"):
        queues.add_column(column, justify="left" if column == "queue" else "right")
    for name, s in details.queues.items():
        queues.add_row(name, str(s.pending), str(s.leased), str(s.dead))
    console.print(streams)
    console.print(queues)


@app.command()
def queue(
    name: Annotated[str, typer.Argument(help="The queue, e.g. alerts:outbox.")],
    url: UrlOption = None,
    as_json: JsonOption = False,
) -> None:
    """List a queue's pending items (leased ones included) and its dead letters."""
    store = _open(url)
    try:
        pending = store.pending(name)
        dead = store.dead_letters(name)
    except StateStoreError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    finally:
        store.close()
    if as_json:
        data = {
            "queue": name,
            "pending": [
                {
                    "id": i.id,
                    "attempts": i.attempts,
                    "available_at": _when(i.available_at),
                    "leased_until": _when(i.leased_until) or None,
                    **_payload_text(i.payload),
                }
                for i in pending
            ],
            "dead": [
                {
                    "id": d.id,
                    "attempts": d.attempts,
                    "reason": d.reason,
                    "dead_at": _when(d.dead_at),
                    **_payload_text(d.payload),
                }
                for d in dead
            ],
        }
        typer.echo(json.dumps(data, indent=2))
        return
    console = Console()
    table = Table(title=f"{name}: pending ({len(pending)})")
    for column in ("id", "attempts", "available at", "leased until", "payload"):
        table.add_column(column)
    for i in pending:
        table.add_row(
            i.id, str(i.attempts), _when(i.available_at), _when(i.leased_until), _preview(i.payload)
        )
    dead_table = Table(title=f"{name}: dead letters ({len(dead)})")
    for column in ("id", "attempts", "dead at", "reason", "payload"):
        dead_table.add_column(column)
    for d in dead:
        dead_table.add_row(d.id, str(d.attempts), _when(d.dead_at), d.reason, _preview(d.payload))
    console.print(table)
    console.print(dead_table)


@app.command()
def stream(
    name: Annotated[str, typer.Argument(help="The stream, e.g. switchyard:events.")],
    url: UrlOption = None,
    after: Annotated[
        str | None,
        typer.Option(help="Start after this id ('$' for only new entries; default: oldest)."),
    ] = None,
    count: Annotated[int, typer.Option(min=1, help="Most entries to print.")] = 20,
    follow: Annotated[bool, typer.Option("--follow", "-f", help="Keep waiting for more.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Print entries of a stream (JSON lines with --json); --follow waits for new ones."""
    store = _open(url)
    console = Console()
    printed = 0
    try:
        while True:
            batch = store.read(name, after, count=count, block=1.0 if follow else 0.0)
            for entry_id, payload in batch:
                if as_json:
                    typer.echo(json.dumps({"id": entry_id, **_payload_text(payload)}))
                else:
                    console.print(f"[bold]{entry_id}[/]  {_preview(payload, 200)}", markup=True)
                after = entry_id
            printed += len(batch)
            if not follow and (printed >= count or not batch):
                break
    except ValueError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(2) from None
    except StateStoreError as exc:
        Console(stderr=True).print(f"[red]error:[/] {exc}")
        raise typer.Exit(1) from None
    except KeyboardInterrupt:
        pass
    finally:
        store.close()
