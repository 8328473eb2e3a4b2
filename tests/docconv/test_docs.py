"""The examples in docconv's docstrings and README run and give what they show."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

import docconv
from docconv import _api, _jsontext

README = Path(__file__).resolve().parents[2] / "packages" / "docconv" / "README.md"


@pytest.mark.parametrize("module", [docconv, _api, _jsontext], ids=lambda m: m.__name__)
def test_docstring_examples(module: object) -> None:
    failures, tried = doctest.testmod(module, optionflags=doctest.ELLIPSIS)  # type: ignore[arg-type]
    assert tried > 0
    assert failures == 0


def test_readme_python_examples_run() -> None:
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert blocks, "the README has no Python examples"
    for block in blocks:
        exec(compile(block, str(README), "exec"), {})  # noqa: S102 - our own README
