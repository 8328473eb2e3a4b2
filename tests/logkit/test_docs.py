"""The examples in logkit's docstrings run and give what they show."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = [
    "logkit._anomaly",
    "logkit._context",
    "logkit._follow",
    "logkit._health",
    "logkit._parsers",
    "logkit._redact",
    "logkit._templates",
    "logkit.testing",
]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
    assert result.attempted > 0
