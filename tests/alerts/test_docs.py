"""The examples in the docstrings run and say what they show."""

from __future__ import annotations

import doctest
import importlib
import pkgutil

import pytest

import alerts

MODULES = sorted(
    name
    for _, name, _ in pkgutil.iter_modules(alerts.__path__, prefix="alerts.")
    if name != "alerts.__main__"
)


@pytest.mark.parametrize("name", ["alerts", *MODULES])
def test_docstring_examples(name: str) -> None:
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0
