"""The ``logkit`` command line.

Exit codes: 0 success; 1 a health check failed (``health``) or a file could not be read;
2 wrong usage (unknown option, bad value).
"""

from __future__ import annotations

import json
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from logkit._anomaly import AnalysisReport, Analyzer, Anomaly
from logkit._exceptions import ExplainerError, LogkitError
from logkit._explain import Explainer
from logkit._follow import Follower
from logkit._health import HealthChecker, default_checks
from logkit._parsers import FORMATS, EntryAssembler, detect_format
from logkit._settings import LogkitSettings
from logkit._templates import TemplateMiner
from logkit._version import __version__

if TYPE_CHECKING:
    from collections.abc import Iterator

app = typer.Typer(
    name="logkit",
    help="Structured logging for every part, and an analyser for PHP, WordPress and server logs.",
    no_args_is_help=True,
    add_completion=False,
)
out = Console()
err = Console(stderr=True)

Files = Annotated[list[Path], typer.Argument(help="Log files to read.", show_default=False)]
JsonFlag = Annotated[bool, typer.Option("--json", help="Print JSON instead of tables.")]
WarmupLines = Annotated[
    int,
    typer.Option(help="Entries of a source before its new templates are reported.", min=0),
]
WarmupWindows = Annotated[
    int, typer.Option(help="Windows of a source before spikes are reported.", min=0)
]
FormatOpt = Annotated[
    str,
    typer.Option(
        "--format",
        "-f",
        help=f"Log format: auto (detected per file) or one of {', '.join(FORMATS)}.",
    ),
]


def _check_format(fmt: str) -> str | None:
    if fmt == "auto":
        return None
    if fmt not in FORMATS:
        raise typer.BadParameter(f"unknown format {fmt!r}; use auto or {', '.join(FORMATS)}")
    return fmt


def _chunks(path: Path, size: int = 5000) -> Iterator[tuple[list[str], int]]:
    """The file's lines in chunks, with the bytes each chunk took (for progress bars)."""
    try:
        with path.open("rb") as fh:
            chunk: list[str] = []
            used = 0
            for raw in fh:
                used += len(raw)
                chunk.append(raw.decode("utf-8", "replace").rstrip("\r\n"))
                if len(chunk) >= size:
                    yield chunk, used
                    chunk, used = [], 0
            if chunk:
                yield chunk, used
    except OSError as exc:
        err.print(f"[red]cannot read {path}: {exc.strerror}[/red]")
        raise typer.Exit(1) from exc


def _format_of(path: Path, chosen: str | None) -> str:
    if chosen is not None:
        return chosen
    for chunk, _ in _chunks(path, 200):
        return detect_format(chunk)
    return "raw"


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-logkit."""
    typer.echo(__version__)


@app.command()
def analyze(
    files: Files,
    json_out: JsonFlag = False,
    fmt: FormatOpt = "auto",
    top: Annotated[int, typer.Option(help="How many top templates to show.", min=1)] = 15,
    window: Annotated[float, typer.Option(help="Window for rates, in seconds.", min=1)] = 60.0,
    state: Annotated[
        Path | None,
        typer.Option(help="JSON state to start from and save to (learned templates/baselines)."),
    ] = None,
    warmup_lines: WarmupLines = 200,
    warmup_windows: WarmupWindows = 3,
    explain: Annotated[
        int,
        typer.Option(
            help="Ask the LLM explainer (LOGKIT_LLM_URL) about the last N anomalies.", min=0
        ),
    ] = 0,
) -> None:
    """Report top templates, new templates and anomalies (new, spikes, error bursts)."""
    chosen = _check_format(fmt)
    options: dict[str, Any] = {
        "window": window,
        "warmup_lines": warmup_lines,
        "warmup_windows": warmup_windows,
    }
    try:
        analyzer = (
            Analyzer.load(state, **options) if state and state.exists() else Analyzer(**options)
        )
    except LogkitError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    total = sum(p.stat().st_size for p in files if p.is_file())
    with Progress(
        TextColumn("[progress.description]{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TimeRemainingColumn(),
        console=err,
        transient=True,
        disable=json_out or total < 5 * 2**20 or not err.is_terminal,
    ) as progress:
        task = progress.add_task("analysing", total=total)
        for path in files:
            file_fmt = _format_of(path, chosen)
            for chunk, used in _chunks(path):
                analyzer.feed(chunk, source=path.name, fmt=file_fmt, flush=False)
                progress.advance(task, used)
            analyzer.feed([], source=path.name, flush=True)
    if state is not None:
        analyzer.save(state)
    report = analyzer.report(top=top)
    explanations = _explain(report.anomalies[-explain:]) if explain else []
    if json_out:
        data = report.model_dump(mode="json")
        if explain:
            data["explanations"] = explanations
        typer.echo(json.dumps(data, indent=2, ensure_ascii=False))
        return
    _print_report(report)
    for item in explanations:
        out.print(
            f"[bold]{item['kind']}[/bold] {item['template']}\n"
            f"  cause: {item.get('probable_cause', '-')}\n"
            f"  action: {item.get('suggested_action', '-')}",
            highlight=False,
            soft_wrap=True,
        )


def _explain(anomalies: list[Anomaly]) -> list[dict[str, Any]]:
    """Explanations of anomalies; a failure is reported per anomaly, never fatal."""
    explainer = Explainer()
    if not explainer.enabled:
        err.print("[yellow]--explain needs LOGKIT_LLM_URL; no explanations[/yellow]")
        return []
    results: list[dict[str, Any]] = []
    for anomaly in anomalies:
        item: dict[str, Any] = {"kind": anomaly.kind, "template_id": anomaly.template_id}
        item["template"] = anomaly.template
        try:
            explanation = explainer.explain(anomaly)
        except ExplainerError as exc:
            item["error"] = str(exc)
        else:
            item.update(explanation.model_dump())
        results.append(item)
    return results


def _print_report(report: AnalysisReport) -> None:
    summary = Table(title="Summary", show_header=False)
    summary.add_row("lines", str(report.lines))
    summary.add_row("entries", str(report.entries))
    summary.add_row("templates", str(report.templates))
    summary.add_row("formats", ", ".join(f"{k}: {v}" for k, v in report.formats.items()))
    summary.add_row("levels", ", ".join(f"{k}: {v}" for k, v in sorted(report.levels.items())))
    out.print(summary)
    table = Table(title="Top templates")
    table.add_column("count", justify="right")
    table.add_column("id")
    table.add_column("levels")
    table.add_column("template", overflow="fold")
    for stat in report.top_templates:
        levels = ", ".join(f"{k}:{v}" for k, v in stat.levels.items())
        table.add_row(str(stat.count), stat.template_id, levels, stat.template)
    out.print(table)
    if report.new_templates:
        new = Table(title="New templates (first seen after the warm-up)")
        new.add_column("first seen")
        new.add_column("count", justify="right")
        new.add_column("template", overflow="fold")
        for stat in report.new_templates[:50]:
            when = stat.first_seen.strftime("%Y-%m-%d %H:%M:%S") if stat.first_seen else "-"
            new.add_row(when, str(stat.count), stat.template)
        out.print(new)
    if report.anomalies:
        out.print(_anomaly_table(report.anomalies[-100:]))
    else:
        out.print("No anomalies.")


def _anomaly_table(anomalies: list[Anomaly]) -> Table:
    table = Table(title="Anomalies")
    table.add_column("time")
    table.add_column("kind")
    table.add_column("source")
    table.add_column("count", justify="right")
    table.add_column("baseline", justify="right")
    table.add_column("template", overflow="fold")
    for a in anomalies:
        table.add_row(
            a.timestamp.strftime("%Y-%m-%d %H:%M:%S"),
            a.kind,
            a.source,
            str(a.count),
            f"{a.baseline:.2f}",
            a.template,
        )
    return table


@app.command()
def templates(
    files: Files,
    json_out: JsonFlag = False,
    fmt: FormatOpt = "auto",
    state: Annotated[
        Path | None, typer.Option(help="JSON miner state to start from and save to.")
    ] = None,
) -> None:
    """Print the template of every input line (``--format raw``: each line is a bare message).

    With ``--json``: one JSON object per input line: file, line, template_id, template.
    Continuation lines of a multi-line entry get their entry's template.
    """
    chosen = _check_format(fmt)
    try:
        miner = TemplateMiner.load(state) if state and state.exists() else TemplateMiner()
    except LogkitError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    rows: list[tuple[str, int, str]] = []
    for path in files:
        assembler = EntryAssembler(_format_of(path, chosen))
        for chunk, _ in _chunks(path):
            for line in chunk:
                for entry in assembler.feed(line):
                    tid = miner.add(entry.message).template_id
                    rows.extend((path.name, n, tid) for n in range(entry.line, entry.end_line + 1))
        for entry in assembler.flush():
            tid = miner.add(entry.message).template_id
            rows.extend((path.name, n, tid) for n in range(entry.line, entry.end_line + 1))
    if state is not None:
        miner.save(state)
    texts: dict[str, str] = {}
    write = sys.stdout.write
    for name, number, tid in rows:
        final = miner.resolve(tid)
        if final not in texts:
            template = miner.template(final)
            texts[final] = template.template if template else ""
        if json_out:
            record = {"file": name, "line": number, "template_id": final, "template": texts[final]}
            write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            write(f"{name}:{number}\t{final}\t{texts[final]}\n")


@app.command()
def tail(
    files: Files,
    json_out: JsonFlag = False,
    fmt: FormatOpt = "auto",
    state: Annotated[
        Path | None,
        typer.Option(help="Folder for read positions and learned state (resumes after restart)."),
    ] = None,
    from_start: Annotated[bool, typer.Option(help="Read existing lines first.")] = False,
    interval: Annotated[float, typer.Option(help="Polling interval, seconds.", min=0.05)] = 0.5,
    echo: Annotated[bool, typer.Option(help="Print every line too, not just anomalies.")] = False,
    window: Annotated[float, typer.Option(help="Window for rates, in seconds.", min=1)] = 60.0,
    warmup_lines: WarmupLines = 200,
    warmup_windows: WarmupWindows = 3,
) -> None:
    """Follow files (rotation and truncation survived) and print anomalies as they happen."""
    chosen = _check_format(fmt)
    positions = state / "positions.json" if state else None
    learned = state / "analyzer.json" if state else None
    options: dict[str, Any] = {
        "window": window,
        "warmup_lines": warmup_lines,
        "warmup_windows": warmup_windows,
    }
    try:
        analyzer = (
            Analyzer.load(learned, **options)
            if learned and learned.exists()
            else Analyzer(**options)
        )
    except LogkitError as exc:
        err.print(f"[red]{exc}[/red]")
        raise typer.Exit(1) from exc
    follower = Follower(files, state_path=positions, start_at="start" if from_start else "end")
    last_save = time.monotonic()
    waiting: set[str] = set()
    try:
        while True:
            batch = follower.read()
            by_file: dict[str, list[str]] = {}
            for line in batch:
                by_file.setdefault(line.path, []).append(line.text)
                if echo:
                    sys.stdout.write(line.text + "\n")
            for path, lines in by_file.items():
                # The last entry may go on (a stack trace written in two parts): hold it
                # until a poll brings nothing more for this file.
                source = Path(path).name
                for anomaly in analyzer.feed(lines, source=source, fmt=chosen, flush=False):
                    _print_anomaly(anomaly, json_out)
                waiting.add(source)
            for source in [s for s in waiting if s not in {Path(p).name for p in by_file}]:
                waiting.discard(source)
                for anomaly in analyzer.feed([], source=source):
                    _print_anomaly(anomaly, json_out)
            if batch:
                follower.save()
            if learned is not None and time.monotonic() - last_save > 30:
                analyzer.save(learned)
                last_save = time.monotonic()
            if not batch:
                time.sleep(interval)
    except KeyboardInterrupt:
        pass
    finally:
        for source in waiting:
            for anomaly in analyzer.feed([], source=source):
                _print_anomaly(anomaly, json_out)
        follower.save()
        follower.close()
        if learned is not None:
            analyzer.save(learned)


def _print_anomaly(anomaly: Anomaly, json_out: bool) -> None:
    if json_out:
        sys.stdout.write(json.dumps(anomaly.to_event(), ensure_ascii=False) + "\n")
        sys.stdout.flush()
        return
    colour = {"new_template": "cyan", "rate_spike": "yellow", "error_burst": "red"}[anomaly.kind]
    when = anomaly.timestamp.strftime("%H:%M:%S")
    out.print(
        f"[{colour}]{when} {anomaly.kind}[/{colour}] {anomaly.source} "
        f"count={anomaly.count} baseline={anomaly.baseline:.2f}  {anomaly.template}",
        highlight=False,
        soft_wrap=True,
    )
    sys.stdout.flush()


@app.command()
def health(
    json_out: JsonFlag = False,
    path: Annotated[list[Path] | None, typer.Option("--path", help="A path to check.")] = None,
    log: Annotated[list[Path] | None, typer.Option("--log", help="A log file to check.")] = None,
    bridge: Annotated[
        str | None, typer.Option(help="Bridge base URL to check (env LOGKIT_BRIDGE_URL).")
    ] = None,
    provider: Annotated[
        list[str] | None, typer.Option("--provider", help="A provider URL to check.")
    ] = None,
    state_url: Annotated[
        str | None, typer.Option(help="State store URL (default SWITCHYARD_STATE_URL).")
    ] = None,
    timeout: Annotated[float, typer.Option(help="Seconds per network check.", min=0.1)] = 5.0,
) -> None:
    """Check paths, log sizes and growth, disk space, state store, bridge and providers.

    Exit code 1 when a check fails (warnings exit 0).
    """
    settings = LogkitSettings()
    logs = list(log or [])
    if settings.file is not None:
        logs.append(settings.file)
    providers = list(provider or [])
    for var in ("MARKETDATA_ALPHAVANTAGE_URL", "MARKETDATA_FINNHUB_URL"):
        if os.environ.get(var):
            providers.append(os.environ[var])
    checks = default_checks(
        home=settings.home,
        paths=list(path or []),
        logs=logs,
        state_url=state_url or os.environ.get("SWITCHYARD_STATE_URL"),
        bridge_url=bridge or os.environ.get("LOGKIT_BRIDGE_URL"),
        providers=providers,
        growth_state=settings.home / "logkit-health.json" if settings.home.exists() else None,
        timeout=timeout,
    )
    report = HealthChecker(checks).run()
    if json_out:
        typer.echo(report.model_dump_json(indent=2))
    else:
        table = Table(title=f"Health: {report.status}")
        table.add_column("check")
        table.add_column("status")
        table.add_column("detail", overflow="fold")
        colours = {"ok": "green", "warn": "yellow", "fail": "red"}
        for check in report.checks:
            c = colours[check.status]
            table.add_row(check.name, f"[{c}]{check.status}[/{c}]", check.detail)
        out.print(table)
    if report.status == "fail":
        raise typer.Exit(1)
