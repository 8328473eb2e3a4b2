"""The `statestore` command line."""

import typer

from statestore._version import __version__

app = typer.Typer(
    name="statestore",
    help="Shared state: cache, locks, rate limits, queues and streams on SQLite or Redis.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-statestore."""
    typer.echo(__version__)
