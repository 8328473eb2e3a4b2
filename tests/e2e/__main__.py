"""`python -m tests.e2e`: bring the end-to-end stack up for manual poking; Ctrl-C stops it.

Prints the WordPress URL, the admin password, the bridge URL and where the token is; the
PHPUnit suites can be pointed at it with the environment lines it prints.
"""

from __future__ import annotations

import contextlib
import signal
import sys
import tempfile
import threading
from pathlib import Path

from marketdata.testing import ProviderEmulators
from tests.e2e._procs import require_binaries
from tests.e2e._stack import BINARIES, build_stack, start_stack, stop_stack


def main() -> int:
    """Start the stack, print how to reach it, wait for Ctrl-C or SIGTERM."""
    binaries = require_binaries(*BINARIES)
    done = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: done.set())
    with (
        tempfile.TemporaryDirectory(prefix="switchyard-e2e-") as tmp,
        ProviderEmulators(websocket=False) as emulators,
    ):
        stack = build_stack(Path(tmp), binaries, emulators.env)
        try:
            start_stack(stack)
            print(f"WordPress  {stack.site.url}  (admin / {stack.site.admin_password})")
            for name, page in stack.pages.items():
                print(f"  page {name}: {stack.site.page_url(page)}")
            print(f"bridge     {stack.bridge.url}  socket {stack.socket_bridge.uds}")
            print(f"export SWITCHYARD_TEST_BRIDGE_URL={stack.bridge.url}")
            print(f"export SWITCHYARD_TEST_BRIDGE_TOKEN={stack.bridge.token}")
            print(f"export SWITCHYARD_TEST_BRIDGE_SOCKET={stack.socket_bridge.uds}")
            print(f"export SWITCHYARD_TEST_WP_PREPEND={stack.site.prepend}")
            print(f"logs in {tmp}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                done.wait()
        finally:
            stop_stack(stack)
    return 0


if __name__ == "__main__":
    sys.exit(main())
