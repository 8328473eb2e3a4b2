"""Run the `marketdata` command line as `python -m marketdata`."""

from marketdata.cli import app

app(prog_name="marketdata")
