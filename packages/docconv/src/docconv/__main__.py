"""Run the `docconv` command line as `python -m docconv`."""

from docconv.cli import app

app(prog_name="docconv")
