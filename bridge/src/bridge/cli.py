"""The `bridge` command line."""

import typer

from bridge._version import __version__

app = typer.Typer(
    name="bridge",
    help="The loopback HTTP service WordPress calls: one API over every Switchyard package.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-bridge."""
    typer.echo(__version__)
