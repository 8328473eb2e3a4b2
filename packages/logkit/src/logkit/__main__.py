"""Run the `logkit` command line as `python -m logkit`."""

from logkit.cli import app

app(prog_name="logkit")
