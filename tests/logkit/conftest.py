"""Fixtures for logkit's tests: a clean logging set-up around each test."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import pytest
import structlog

import logkit

if TYPE_CHECKING:
    from collections.abc import Iterator


@pytest.fixture(autouse=True)
def _restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    config = structlog.get_config()
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    root.setLevel(level)
    structlog.configure(**config)
    logging.captureWarnings(False)
    logkit.clear_context()
    logkit.clear_registered_secrets()
