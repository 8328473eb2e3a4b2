"""The `alerts` command line."""

import typer

from alerts._version import __version__

app = typer.Typer(
    name="alerts",
    help="Alert rules evaluated on every event, delivered once to webhooks, chat and e-mail.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-alerts."""
    typer.echo(__version__)
