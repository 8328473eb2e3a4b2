"""Run the `statestore` command line as `python -m statestore`."""

from statestore.cli import app

app(prog_name="statestore")
