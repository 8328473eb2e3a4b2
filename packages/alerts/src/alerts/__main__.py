"""Run the `alerts` command line as `python -m alerts`."""

from alerts.cli import app

app(prog_name="alerts")
