"""Fixtures of the end-to-end suite: one real stack per session (see `_stack.py`)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.e2e._procs import require_binaries
from tests.e2e._stack import BINARIES, Stack, build_stack, start_stack, stop_stack

if TYPE_CHECKING:
    from collections.abc import Generator, Iterator


@pytest.fixture(scope="session")
def e2e_binaries() -> dict[str, str]:
    """Paths of the Debian binaries the stack needs; skips the suite when one is missing."""
    found = require_binaries(*BINARIES)
    if not Path("/usr/share/wordpress/wp-load.php").is_file():
        pytest.skip("e2e needs Debian's `wordpress` package (/usr/share/wordpress)")
    return found


@pytest.fixture(scope="session")
def stack(
    e2e_binaries: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Stack]:
    """Redis, provider emulators, `bridge serve`, MariaDB and WordPress with the plugin active."""
    from marketdata.testing import ProviderEmulators

    root = tmp_path_factory.mktemp("e2e")
    with ProviderEmulators(websocket=False) as emulators:
        built = build_stack(root, e2e_binaries, emulators.env)
        try:
            start_stack(built)
            yield built
        finally:
            stop_stack(built)


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """On a failure, attach the end of the bridge's, PHP's and WordPress's logs to the report."""
    report = yield
    stack = getattr(item, "funcargs", {}).get("stack")
    if report.failed and isinstance(stack, Stack):
        logs = {
            "bridge.log": stack.bridge.root / "bridge.log",
            "php-server.log": stack.site.root / "php-server.log",
            "debug.log": stack.site.debug_log,
        }
        for name, path in logs.items():
            if path.exists():
                tail = "\n".join(path.read_text(errors="replace").splitlines()[-30:])
                report.sections.append((f"e2e {name} (last 30 lines)", tail))
    return report
