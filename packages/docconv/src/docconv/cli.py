"""The `docconv` command line."""

import typer

from docconv._version import __version__

app = typer.Typer(
    name="docconv",
    help="Lossless, fast, streaming and safe JSON <-> XML conversion.",
    no_args_is_help=True,
)


@app.callback()
def main() -> None:
    """Show the commands; see each one's --help."""


@app.command()
def version() -> None:
    """Print the version of switchyard-docconv."""
    typer.echo(__version__)
