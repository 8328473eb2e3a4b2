"""The `alerts` command line.

Exit codes: 0 success; 1 invalid rules, failed test delivery, a state store that cannot be
opened, or dead letters present (``alerts outbox --fail-on-dead``); 2 usage error (typer).
"""

from __future__ import annotations

import gc
import json
import logging
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path  # noqa: TC003 - typer reads annotations at runtime
from typing import Annotated, Any

import typer
from pydantic import SecretStr
from rich.console import Console
from rich.table import Table

from alerts._actions import ActionRunner
from alerts._channels import deliver_all
from alerts._config import RulesDocument  # noqa: TC001
from alerts._engine import Engine
from alerts._events import EVENTS_STREAM, parse_event
from alerts._exceptions import RuleValidationError
from alerts._loader import load_rules
from alerts._notification import Notification
from alerts._outbox import DeliveryWorker, Outbox
from alerts._repository import RuleRepository
from alerts._rules import explain
from alerts._runner import StreamRunner, engine_on_store_rules
from alerts._settings import AlertsSettings
from alerts._simulate import simulate
from alerts._version import __version__

app = typer.Typer(
    name="alerts",
    help="Alert rules evaluated on every event, delivered once to webhooks, chat and e-mail.",
    no_args_is_help=True,
)
console = Console()
err = Console(stderr=True)

StateURL = Annotated[
    str | None,
    typer.Option("--state-url", help="statestore URL (default: SWITCHYARD_STATE_URL or SQLite)."),
]
JsonOut = Annotated[bool, typer.Option("--json", help="Print JSON instead of a table.")]


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-alerts."""
    typer.echo(__version__)


def _load(path: Path) -> RulesDocument:
    try:
        return load_rules(path)
    except RuleValidationError as exc:
        err.print(f"[red]{exc.source or path}: {len(exc.issues)} problem(s)[/red]")
        for issue in sorted(exc.issues, key=lambda i: (i.line or 0, i.location)):
            where = f"line {issue.line}" if issue.line else "-"
            err.print(f"  {where}: {issue.location}: {issue.message}", markup=False, soft_wrap=True)
        raise typer.Exit(1) from None


def _is_rules_marker(line: str) -> bool:
    try:
        data = json.loads(line)
    except ValueError:
        return False
    return isinstance(data, dict) and data.get("type") == "rules"


def _secret_values(document: RulesDocument) -> list[str]:
    values = []
    for conf in [*document.channels.values(), *document.actions.values()]:
        for value in vars(conf).values():
            if isinstance(value, SecretStr):
                values.append(value.get_secret_value())
    return [v for v in values if v]


def _configure_logging(document: RulesDocument, level: str) -> None:
    """Structured logs through logkit; every configured secret is redacted from them."""
    import logkit

    logkit.configure(level=level, secrets=_secret_values(document))
    # httpx logs every request URL at INFO; Slack/Discord URLs and Telegram's path carry secrets.
    logging.getLogger("httpx").setLevel(logging.WARNING)


def _open_store(url: str | None) -> Any:
    """Open the store and touch it once, so a bad URL or a store that is down is one clear
    line and exit code 1, not a traceback."""
    from statestore import StateStoreError, open_store

    try:
        store = open_store(url) if url else open_store()
        store.get("alerts:cli:probe")
    except (StateStoreError, ValueError) as exc:
        err.print(f"[red]state store: {exc}[/red]", soft_wrap=True)
        raise typer.Exit(1) from None
    return store


@app.command()
def check(
    rules: Annotated[Path, typer.Argument(help="Rules file (.toml, .yaml, .yml, .json).")],
    events: Annotated[
        Path | None,
        typer.Option(
            "--events",
            help="JSON-lines events to simulate against the rules (on their timestamps if they "
            "all have one, else 1 s apart from now).",
        ),
    ] = None,
    as_json: JsonOut = False,
) -> None:
    """Validate a rules file and explain each rule; optionally simulate events against it."""
    document = _load(rules)
    simulated: list[Notification] = []
    if events is not None:
        parsed = []
        stamped = True
        for n, line in enumerate(events.read_text(encoding="utf-8").splitlines(), start=1):
            if line.strip() and '"rules"' in line and _is_rules_marker(line):
                continue  # a rules-change marker from a stream dump: nothing to simulate
            if line.strip():
                try:
                    parsed.append(parse_event(line))
                    stamped = stamped and '"timestamp"' in line
                except ValueError as exc:
                    err.print(f"[red]{events}:{n}: {exc}[/red]")
                    raise typer.Exit(1) from None
        # Events with timestamps run on their own clock (schedules, windows, `for` see them);
        # without, they are one second apart from now.
        simulated = simulate(
            document.rules, parsed, start=time.time(), event_time=stamped and bool(parsed)
        )
    if as_json:
        out = {
            "valid": True,
            "rules": [{"id": r.id, "kind": r.kind, "explain": explain(r)} for r in document.rules],
            "channels": sorted(document.channels),
            "actions": sorted(document.actions),
            "notifications": [n.model_dump(mode="json") for n in simulated],
        }
        typer.echo(json.dumps(out, indent=2))
        return
    table = Table(title=f"{rules}: {len(document.rules)} rule(s) valid")
    for col in ("id", "kind", "channels", "what it does"):
        table.add_column(col)
    for rule in document.rules:
        table.add_row(rule.id, rule.kind, ", ".join(rule.channels) or "-", explain(rule))
    console.print(table)
    if document.channels:
        console.print(
            "channels: " + ", ".join(f"{k} ({v.type})" for k, v in document.channels.items())
        )
    if document.actions:
        console.print(
            "actions: " + ", ".join(f"{k} ({v.type})" for k, v in document.actions.items())
        )
    silent = [r.id for r in document.rules if not r.channels and not r.actions]
    if silent:
        console.print(
            f"note: {', '.join(silent)} send(s) nowhere (no channels or actions): "
            "notifications go to `alerts history` only"
        )
    if events is not None:
        console.print(f"simulation: {len(simulated)} notification(s)")
        for note in simulated:
            console.print(f"  {note.status:8} {note.rule_id}: {note.summary}")


@app.command()
def run(
    rules: Annotated[Path, typer.Option("--rules", help="Rules file.")],
    state_url: StateURL = None,
    from_start: Annotated[
        bool,
        typer.Option("--from-start", help="Without a saved cursor, replay the retained stream."),
    ] = False,
    dry_run_actions: Annotated[
        bool, typer.Option("--dry-run-actions", help="Audit actions but never execute them.")
    ] = False,
    no_deliver: Annotated[
        bool,
        typer.Option("--no-deliver", help="Only evaluate and queue; another process delivers."),
    ] = False,
    stream: Annotated[str, typer.Option("--stream", help="Event stream name.")] = EVENTS_STREAM,
    store_rules: Annotated[
        bool,
        typer.Option(
            "--store-rules",
            help="Also evaluate the rules kept in the store (bridge CRUD), reloaded on change.",
        ),
    ] = False,
    log_level: Annotated[str, typer.Option("--log-level", help="Log level.")] = "info",
    duration: Annotated[
        float | None,
        typer.Option(
            "--duration", help="Stop after this many seconds (default: run until Ctrl-C)."
        ),
    ] = None,
) -> None:
    """Consume the shared event stream, evaluate the rules and deliver notifications."""
    settings = AlertsSettings()
    document = _load(rules)
    _configure_logging(document, log_level)
    store = _open_store(state_url)
    outbox = Outbox(store)
    on_rules = None
    if store_rules:
        engine, on_rules = engine_on_store_rules(
            store,
            RuleRepository(store, stream=stream),
            document.rules,
            name=settings.engine_name,
            outbox=outbox,
            stream=stream,
            from_start=from_start,
        )
        err.print(f"alerts: {len(engine.rules)} rule(s) at rules version {engine.rules_version}")
    else:
        engine = Engine(document.rules, store, name=settings.engine_name, outbox=outbox)
    runner = StreamRunner(engine, store, stream=stream, from_start=from_start, on_rules=on_rules)
    gc.collect()
    gc.freeze()  # rules live for the whole run: keep the collector from rescanning them
    worker = None
    if not no_deliver:
        actions = ActionRunner(
            document.actions,
            allowed_commands=document.allowed_commands,
            dry_run=dry_run_actions or settings.dry_run_actions,
        )
        worker = DeliveryWorker(outbox, document.build_channels(), actions)
        worker.start()
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    err.print(
        f"alerts: {len(document.rules)} rule(s), stream {stream!r}, "
        f"{'delivering' if worker else 'not delivering'}; Ctrl-C to stop"
    )
    timer = None
    if duration is not None:
        timer = threading.Timer(duration, stop.set)
        timer.daemon = True
        timer.start()
    try:
        runner.run(stop)
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if timer is not None:
            timer.cancel()
        if worker is not None:
            worker.stop()
        store.close()
    err.print(f"alerts: processed {runner.processed} event(s), rejected {runner.rejected}")


@app.command("test")
def send_test(
    channel: Annotated[str, typer.Argument(help="Channel name from the rules file.")],
    rules: Annotated[Path, typer.Option("--rules", help="Rules file.")],
    message: Annotated[str, typer.Option("--message", help="Text of the test message.")] = (
        "Test message from switchyard alerts"
    ),
) -> None:
    """Send a test message through one configured channel, now (not via the outbox)."""
    document = _load(rules)
    channels = document.build_channels()
    if channel not in channels:
        err.print(
            f"[red]unknown channel {channel!r}; configured: {', '.join(channels) or 'none'}[/red]"
        )
        raise typer.Exit(1)
    now = datetime.now(tz=UTC)
    note = Notification(
        id=f"ntf_test_{int(now.timestamp() * 1000)}",
        rule_id="test",
        rule_name="alerts test",
        kind="test",
        status="firing",
        severity="info",
        summary=message,
        firing_id="test",
        at=now,
        channels=(channel,),
    )
    result = deliver_all([channels[channel]], note)[channel]
    if result is None:
        console.print(f"[green]sent to {channel}[/green]")
        return
    err.print(f"[red]{result}[/red]")
    raise typer.Exit(1)


def _when(ts: float | None) -> str:
    return "-" if ts is None else datetime.fromtimestamp(ts, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")


@app.command()
def history(
    state_url: StateURL = None,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Newest entries to show.")] = 50,
    rule: Annotated[str | None, typer.Option("--rule", help="Only this rule's entries.")] = None,
    as_json: JsonOut = False,
) -> None:
    """Show the alert history: accepted, delivered, retried, rate-limited and dead deliveries."""
    store = _open_store(state_url)
    try:
        entries = Outbox(store).history(10_000 if rule else limit)
    finally:
        store.close()
    if rule:
        entries = [e for e in entries if e.get("rule_id") == rule][-limit:]
    if as_json:
        typer.echo(json.dumps(entries, indent=2, default=str))
        return
    table = Table(title=f"alert history (last {len(entries)})")
    for col in ("at (UTC)", "event", "rule", "target", "detail"):
        table.add_column(col)
    for e in entries:
        detail = e.get("summary") or e.get("error") or e.get("reason") or ""
        if e.get("event") == "delivered":
            detail = f"latency {e.get('latency')}s"
        table.add_row(
            _when(e.get("at")),
            str(e.get("event")),
            str(e.get("rule_id", "")),
            str(e.get("target") or ",".join(e.get("targets", []))),
            str(detail)[:80],
        )
    console.print(table)


def _requeue(box: Outbox, wanted: str | None) -> None:
    """Requeue one dead letter (by id or unique prefix) or, without ``wanted``, all of them."""
    if wanted is None:
        ids = box.requeue_all()
    else:
        matches = [e.id for e in box.dead_letters() if e.id.startswith(wanted)]
        if len(matches) != 1:
            what = "no dead letter" if not matches else f"{len(matches)} dead letters"
            err.print(f"[red]{what} match(es) {wanted!r}[/red]", soft_wrap=True)
            raise typer.Exit(1)
        ids = [box.requeue(matches[0])]
    err.print(f"requeued {len(ids)} dead letter(s)")


@app.command()
def outbox(
    state_url: StateURL = None,
    as_json: JsonOut = False,
    fail_on_dead: Annotated[
        bool, typer.Option("--fail-on-dead", help="Exit 1 when there are dead letters.")
    ] = False,
    requeue: Annotated[
        str | None,
        typer.Option("--requeue", help="Queue this dead letter again (id or unique id prefix)."),
    ] = None,
    requeue_all: Annotated[
        bool, typer.Option("--requeue-all", help="Queue every dead letter again.")
    ] = False,
) -> None:
    """Show deliveries still pending and the dead letters; requeue dead letters.

    A requeued dead letter is delivered again with the same idempotency key (receivers that
    got it already drop it). The store cannot delete a dead letter, so requeued ones are
    remembered and hidden from this list.
    """
    store = _open_store(state_url)
    try:
        box = Outbox(store)
        if requeue is not None or requeue_all:
            _requeue(box, requeue)
        pending, dead = box.pending(), box.dead_letters()
    finally:
        store.close()
    if as_json:

        def row(e: Any) -> dict[str, Any]:
            return {
                "id": e.id,
                "target_kind": e.target_kind,
                "target": e.target,
                "attempts": e.attempts,
                "available_at": e.available_at,
                "reason": e.reason,
                "notification": e.notification.model_dump(mode="json"),
            }

        typer.echo(
            json.dumps(
                {"pending": [row(e) for e in pending], "dead": [row(e) for e in dead]}, indent=2
            )
        )
    else:
        for title, entries in (("pending", pending), ("dead letters", dead)):
            table = Table(title=f"{title}: {len(entries)}")
            for col in ("id", "target", "rule", "attempts", "next/dead at", "summary / reason"):
                table.add_column(col)
            for e in entries:
                table.add_row(
                    e.id[:16],
                    f"{e.target_kind}:{e.target}",
                    e.notification.rule_id,
                    str(e.attempts),
                    _when(e.dead_at or e.available_at),
                    (e.reason or e.notification.summary)[:80],
                )
            console.print(table)
    if fail_on_dead and dead:
        raise typer.Exit(1)


logging.getLogger("alerts").addHandler(logging.NullHandler())
