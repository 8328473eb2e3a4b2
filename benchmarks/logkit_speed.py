"""Speed: template mining lines/s vs Drain3, and events/s of configure()'s JSON logging.

- Mining: every ``Content`` line of the 16 Loghub-2k systems (``$SWITCHYARD_FIXTURES/loghub2k``,
  research-only data read in place), fed to logkit's ``TemplateMiner`` and to Drain3's
  ``TemplateMiner`` (untuned defaults), best of ``--repeat`` runs each.
- Logging: ``--events`` events with two fields each, written as JSON lines to ``/dev/null``
  by (a) ``logkit.configure(fmt="json")`` through stdlib ``logging`` with ``extra={...}``,
  (b) the same through a structlog logger, (c) structlog's recommended fast set-up
  (filtering bound logger, JSONRenderer, BytesLoggerFactory — no stdlib), and
  (d) plain stdlib ``logging`` with a ``%``-format formatter.

Run: ``python benchmarks/logkit_speed.py [--repeat 3] [--events 20000]``.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import logging
import os
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import structlog

import logkit

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SYSTEMS = [
    "HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Windows",
    "Linux", "Android", "HealthApp", "Apache", "Proxifier", "OpenSSH", "OpenStack", "Mac",
]  # fmt: skip


def _messages() -> list[str]:
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
    root = Path(os.environ.get("SWITCHYARD_FIXTURES", default)) / "loghub2k"
    messages: list[str] = []
    for system in SYSTEMS:
        path = root / system / f"{system}_2k.log_structured_corrected.csv"
        if path.is_file():
            with path.open(newline="", encoding="utf-8") as fh:
                messages.extend(row["Content"] for row in csv.DictReader(fh))
    return messages


def _best(run: Callable[[], None], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def _interleaved(runs: dict[str, Callable[[], None]], repeat: int) -> dict[str, float]:
    """Best time of each run, the runs taking turns so that load changes hit all alike."""
    best = dict.fromkeys(runs, float("inf"))
    for _ in range(repeat):
        for name, run in runs.items():
            best[name] = min(best[name], _best(run, 1))
    return best


def bench_mining(messages: Sequence[str], repeat: int) -> dict[str, float]:
    """Lines per second of logkit's miner and of Drain3 (untuned)."""
    from drain3 import TemplateMiner as Drain3Miner
    from drain3.template_miner_config import TemplateMinerConfig

    def ours() -> None:
        logkit._templates._token_cache.clear()  # cold caches, as in a new process
        logkit._templates._shape_cache.clear()
        miner = logkit.TemplateMiner()
        for message in messages:
            miner.add(message)

    def drain3() -> None:
        config = TemplateMinerConfig()
        config.profiling_enabled = False
        miner = Drain3Miner(config=config)
        for message in messages:
            miner.add_log_message(message)

    n = len(messages)
    times = _interleaved({"logkit": ours, "drain3 (untuned)": drain3}, repeat)
    return {name: n / seconds for name, seconds in times.items()}


_CHUNKS = 10


def bench_logging(events: int, repeat: int) -> dict[str, float]:
    """Events per second of four logging set-ups writing JSON (or text) to /dev/null.

    Each round configures every set-up in turn and times it, so that changes in the load of
    the machine hit all of them alike; the best chunk of each counts.
    """
    devnull = Path(os.devnull).open("w")  # noqa: SIM115 - closed below
    devnull_bytes = Path(os.devnull).open("wb")  # noqa: SIM115 - closed below
    root = logging.getLogger()
    std = logging.getLogger("bench")

    def reset() -> None:
        for handler in list(root.handlers):
            root.removeHandler(handler)
        structlog.reset_defaults()

    def logkit_stdlib(count: int) -> None:
        for i in range(count):
            std.info("quote fetched", extra={"symbol": "IBM", "n": i})

    def logkit_structlog(count: int) -> None:
        slog = structlog.get_logger("bench")
        for i in range(count):
            slog.info("quote fetched", symbol="IBM", n=i)

    def structlog_fast(count: int) -> None:
        fast = structlog.get_logger()
        for i in range(count):
            fast.info("quote fetched", symbol="IBM", n=i)

    def setup_logkit() -> None:
        reset()
        logkit.configure(fmt="json", stream=devnull, level="INFO")

    def setup_structlog_fast() -> None:
        reset()
        structlog.configure(
            cache_logger_on_first_use=True,
            wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
            processors=[
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(serializer=lambda o, **_: json.dumps(o).encode()),
            ],
            logger_factory=structlog.BytesLoggerFactory(file=devnull_bytes),
        )

    def setup_stdlib() -> None:
        reset()
        handler = logging.StreamHandler(devnull)
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s %(symbol)s %(n)s")
        )
        root.addHandler(handler)
        root.setLevel(logging.INFO)

    cases: dict[str, tuple[Callable[[], None], Callable[[int], None]]] = {
        "logkit.configure() json, stdlib logger": (setup_logkit, logkit_stdlib),
        "logkit.configure() json, structlog logger": (setup_logkit, logkit_structlog),
        "structlog recommended fast set-up": (setup_structlog_fast, structlog_fast),
        "stdlib logging (plain formatter)": (setup_stdlib, logkit_stdlib),
    }
    # Each round times every set-up on ``events`` events in chunks; the fastest chunk counts,
    # so that a burst of load from other jobs on the machine spoils one chunk, not a result.
    chunk = max(events // _CHUNKS, 1)
    best = dict.fromkeys(cases, float("inf"))
    try:
        for _ in range(repeat):
            for name, (setup, run) in cases.items():
                setup()
                run(chunk)  # warm-up: first-use caches, logger creation
                for _ in range(_CHUNKS):
                    start = time.perf_counter()
                    run(chunk)
                    best[name] = min(best[name], time.perf_counter() - start)
    finally:
        reset()
        devnull.close()
        devnull_bytes.close()
    return {name: chunk / seconds for name, seconds in best.items()}


def main(argv: Sequence[str] | None = None) -> int:
    """Print both tables, each as figures and ratios to its baseline."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--events", type=int, default=20_000)
    args = parser.parse_args(argv)
    messages = _messages()
    out = io.StringIO()
    if messages:
        mining = bench_mining(messages, args.repeat)
        base = mining["drain3 (untuned)"]
        out.write(f"Template mining, {len(messages)} Loghub-2k lines (best of {args.repeat})\n")
        for name, rate in mining.items():
            out.write(f"  {name:<45} {rate:>12,.0f} lines/s  {rate / base:5.2f}x\n")
    else:
        out.write("Loghub-2k fixtures not found: mining benchmark skipped\n")
    logging_rates = bench_logging(args.events, args.repeat)
    base = logging_rates["stdlib logging (plain formatter)"]
    out.write(
        f"Logging, {args.events} events to /dev/null per round, {args.repeat} rounds "
        f"(best chunk of {max(args.events // _CHUNKS, 1)} events)\n"
    )
    for name, rate in logging_rates.items():
        out.write(f"  {name:<45} {rate:>12,.0f} events/s {rate / base:5.2f}x\n")
    sys.stdout.write(out.getvalue())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
