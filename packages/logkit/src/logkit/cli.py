"""The `logkit` command line."""

import typer

from logkit._version import __version__

app = typer.Typer(
    name="logkit",
    help="Structured logging for every part, and an analyser for PHP, WordPress and server logs.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-logkit."""
    typer.echo(__version__)
