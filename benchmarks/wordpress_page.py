"""Page render time of a WordPress page with five quote shortcodes served through the bridge.

Brings up the end-to-end stack (Redis, provider emulators, `bridge serve`, MariaDB, WordPress via
`php -S`; see tests/e2e/_stack.py), warms the caches, then times, in the same run and interleaved:

- baseline: a page with five `[switchyard_const_quote]` shortcodes that return constant markup;
- bridge:   the same page with five `[switchyard_quote]` shortcodes (one /v1/quotes call, warm);
- warnings: the bridge page raising two PHP warnings and one log event, with forwarding off
            and on: the difference is what the post to /v1/logs costs the visitor (php -S has
            no fastcgi_finish_request, so the visitor waits for it: the worst case);
- stale:    the bridge page while the bridge is stopped (last good values from transients).

Prints median / p90 per page and the ratio and difference against the baseline. Needs the Debian
packages `nox -s e2e` needs; without them it says so and exits 0.
"""

from __future__ import annotations

import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from marketdata.testing import ProviderEmulators
from tests.e2e._stack import BINARIES, Stack, build_stack, start_stack, stop_stack

ROUNDS = 150
WARMUP = 15


def _binaries() -> dict[str, str | None]:
    """Where each binary the stack needs is (None when missing)."""
    search = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin", "/usr/local/sbin"])
    return {name: shutil.which(name, path=search) for name in BINARIES}


def _time(client: httpx.Client, url: str, must_contain: str) -> float:
    started = time.perf_counter()
    response = client.get(url)
    took = time.perf_counter() - started
    if response.status_code != 200 or must_contain not in response.text:
        raise RuntimeError(f"unexpected page: HTTP {response.status_code}\n{response.text[-1500:]}")
    return took


def _measure(stack: Stack) -> dict[str, list[float]]:
    const_url = stack.site.page_url(stack.pages["five_const"])
    bridge_url = stack.site.page_url(stack.pages["five"])
    noisy_url = f"{bridge_url}&switchyard_probe=warning&sku=1"
    quiet_url = f"{noisy_url}&forward=0"
    samples: dict[str, list[float]] = {
        "baseline (constant)": [],
        "bridge (warm)": [],
        "+ 2 warnings, not sent": [],
        "+ 2 warnings, sent": [],
    }
    with httpx.Client(timeout=30) as client:
        for _ in range(WARMUP):
            _time(client, const_url, "123.45")
            _time(client, bridge_url, "switchyard-price")
            _time(client, noisy_url, "switchyard-price")
            _time(client, quiet_url, "switchyard-price")
        for _ in range(ROUNDS):
            samples["baseline (constant)"].append(_time(client, const_url, "123.45"))
            samples["bridge (warm)"].append(_time(client, bridge_url, "switchyard-price"))
            samples["+ 2 warnings, not sent"].append(_time(client, quiet_url, "switchyard-price"))
            samples["+ 2 warnings, sent"].append(_time(client, noisy_url, "switchyard-price"))
        stack.bridge.stop()
        try:
            stale: list[float] = []
            for _ in range(max(ROUNDS // 3, 10)):
                stale.append(_time(client, bridge_url, "switchyard-stale"))
            samples["bridge stopped (stale)"] = stale
        finally:
            stack.bridge.start()
    return samples


def _report(samples: dict[str, list[float]]) -> None:
    base = statistics.median(samples["baseline (constant)"])
    print(
        f"\nWordPress page with five quote shortcodes ({ROUNDS} interleaved requests; "
        "php -S, 4 workers, opcache on, WP_DEBUG off)"
    )
    header = f"{'page':<26}{'median ms':>11}{'p90 ms':>9}{'vs baseline':>13}{'+ms/page':>10}"
    print(header)
    print("-" * len(header))
    for name, values in samples.items():
        ordered = sorted(values)
        median = statistics.median(ordered)
        p90 = ordered[int(len(ordered) * 0.9) - 1]
        print(
            f"{name:<26}{median * 1000:>11.2f}{p90 * 1000:>9.2f}"
            f"{median / base:>12.2f}x{(median - base) * 1000:>10.2f}"
        )


def main() -> int:
    """Run the benchmark; 0 also when the Debian packages are missing (it says so)."""
    found = _binaries()
    missing = [name for name, path in found.items() if path is None]
    if missing or not Path("/usr/share/wordpress/wp-load.php").is_file():
        print(f"wordpress_page: skipped, missing {', '.join(missing) or 'wordpress'}")
        return 0
    with (
        tempfile.TemporaryDirectory(prefix="switchyard-bench-") as tmp,
        ProviderEmulators(websocket=False) as emulators,
    ):
        stack = build_stack(
            Path(tmp), {k: v for k, v in found.items() if v is not None}, emulators.env, debug=False
        )
        try:
            start_stack(stack)
            samples = _measure(stack)
        finally:
            stop_stack(stack)
    _report(samples)
    return 0


if __name__ == "__main__":
    sys.exit(main())
