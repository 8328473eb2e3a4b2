"""Run the `bridge` command line as `python -m bridge`."""

from bridge.cli import app

app(prog_name="bridge")
