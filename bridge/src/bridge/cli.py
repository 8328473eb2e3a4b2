"""The `bridge` command line.

Exit codes: 0 success; 1 the server stopped on an error; 2 refused configuration (the message
says why); 3 ``bridge openapi --check`` found the committed document out of date.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path  # noqa: TC003 (typer reads annotations at runtime)
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from rich.console import Console

from bridge._exceptions import ConfigurationError
from bridge._settings import Settings
from bridge._token import load_or_create_token, wp_config_lines
from bridge._version import __version__

app = typer.Typer(
    name="bridge",
    help="The loopback HTTP service WordPress calls: one API over every Switchyard package.",
    no_args_is_help=True,
)
# soft_wrap: a long path must stay on one line, whatever the width (logs, narrow terminals).
err = Console(stderr=True, soft_wrap=True)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-bridge."""
    typer.echo(__version__)


def _settings(**overrides: Any) -> Settings:
    given = {name: value for name, value in overrides.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        for error in exc.errors():
            where = ".".join(str(part) for part in error["loc"]) or "settings"
            message = str(error["msg"]).removeprefix("Value error, ")
            err.print(f"[red]bridge: refused configuration[/red] ({where}): {message}")
        raise typer.Exit(2) from None


def _token_or_exit(settings: Settings) -> tuple[Any, Path | None, bool]:
    try:
        source = load_or_create_token(settings.token_file, settings.token)
    except ConfigurationError as exc:
        err.print(f"[red]bridge: refused configuration[/red]: {exc}")
        raise typer.Exit(2) from None
    return source.token, source.path, source.generated


def _check_rules_file(settings: Settings) -> None:
    """Refuse to start with an invalid ALERTS_RULES file, naming each problem."""
    if settings.alerts_rules is None:
        return
    import alerts

    try:
        alerts.load_rules(settings.alerts_rules)
    except alerts.RuleValidationError as exc:
        err.print(f"[red]bridge: refused configuration[/red] (ALERTS_RULES): {exc}")
        raise typer.Exit(2) from None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="Address (BRIDGE_HOST, 127.0.0.1).")] = None,
    port: Annotated[int | None, typer.Option(help="TCP port (BRIDGE_PORT, 8765).")] = None,
    uds: Annotated[
        Path | None, typer.Option(help="Listen on this unix socket instead (BRIDGE_UDS).")
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="Worker processes (BRIDGE_WORKERS, 1).")
    ] = None,
    log_level: Annotated[str | None, typer.Option(help="debug, info, warning, error.")] = None,
    access_log: Annotated[bool, typer.Option(help="Log every request.")] = False,
) -> None:
    """Serve the bridge (FastAPI under uvicorn) until Ctrl-C.

    On first start a bearer token is generated into a 0600 file under SWITCHYARD_HOME; the
    path is printed, and, on an interactive terminal only, the two lines for wp-config.php.
    """
    settings = _settings(host=host, port=port, uds=uds, workers=workers, log_level=log_level)
    _check_rules_file(settings)
    token, path, generated = _token_or_exit(settings)
    where = settings.base_url
    err.print(f"bridge {__version__}: listening on {where} with {settings.workers} worker(s)")
    if path is None:
        err.print("bearer token: from BRIDGE_TOKEN")
    else:
        err.print(f"bearer token: {'generated into' if generated else 'read from'} {path}")
    if generated and sys.stdout.isatty():
        # The token is shown on the operator's own terminal, never written to a log.
        err.print("Add these two lines to wp-config.php (above “That's all, stop editing!”):")
        for line in wp_config_lines(settings.base_url, token):
            typer.echo(line)
    elif generated:
        hint = "bridge wp-config" + "".join(
            f" --{name} {value}"
            for name, value in (("host", host), ("port", port), ("uds", uds))
            if value is not None
        )
        err.print(f"run `{hint}` on a terminal to print the lines for wp-config.php")
    from bridge._server import serve as run_server

    try:
        run_server(settings, access_log=access_log)
    except OSError as exc:
        err.print(f"[red]bridge: cannot listen on {where}[/red]: {exc.strerror or exc}")
        raise typer.Exit(1) from None


@app.command("wp-config")
def wp_config(
    host: Annotated[str | None, typer.Option(help="As given to serve (BRIDGE_HOST).")] = None,
    port: Annotated[int | None, typer.Option(help="As given to serve (BRIDGE_PORT).")] = None,
    uds: Annotated[
        Path | None, typer.Option(help="As given to serve (BRIDGE_UDS): a unix:// URL.")
    ] = None,
) -> None:
    """Print the two define() lines for wp-config.php (they contain the token).

    Give it the --host/--port/--uds you gave `bridge serve` (or the same BRIDGE_* variables),
    so that the URL names where the bridge listens.
    """
    settings = _settings(host=host, port=port, uds=uds)
    token, _path, _generated = _token_or_exit(settings)
    for line in wp_config_lines(settings.base_url, token):
        typer.echo(line)


@app.command()
def token(
    path: Annotated[bool, typer.Option("--path", help="Print the file's path only.")] = False,
) -> None:
    """Print the bearer token (generating it on first use), or with --path where it is kept."""
    settings = _settings()
    value, file, _generated = _token_or_exit(settings)
    if path:
        typer.echo(str(file) if file else "(BRIDGE_TOKEN is set; no file)")
    else:
        typer.echo(value.get_secret_value())


@app.command()
def openapi(
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write here instead of stdout.")
    ] = None,
    check: Annotated[
        bool, typer.Option(help="Exit 3 when --output differs from the code instead of writing.")
    ] = False,
) -> None:
    """Print (or write, or check) the OpenAPI document PHP developers code against."""
    from bridge._openapi import render_openapi

    text = render_openapi()
    if output is None:
        typer.echo(text, nl=False)
        return
    if check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            err.print(f"{output} is out of date; run `bridge openapi -o {output}`")
            raise typer.Exit(3)
        return
    output.write_text(text, encoding="utf-8")
    err.print(f"wrote {output} ({len(json.loads(text)['paths'])} paths)")
