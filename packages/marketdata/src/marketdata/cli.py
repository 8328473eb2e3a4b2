"""The `marketdata` command line."""

import typer

from marketdata._version import __version__

app = typer.Typer(
    name="marketdata",
    help="One client for quotes, history, news, profiles and search across market-data providers.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-marketdata."""
    typer.echo(__version__)
