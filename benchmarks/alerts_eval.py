"""Evaluation cost per event with 100,000 rules: the indexed engine beside a plain loop.

Both run in this process on the same rules and the same random-walk ticks. The plain loop is
what a naive implementation does: look at every rule for every event and evaluate the ones for
the tick's symbol. Goal: the engine at least 100x cheaper per event.

Run: python benchmarks/alerts_eval.py [--rules 100000 --symbols 5000]
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from alerts import Engine, Rule, Tick, rule_from_dict

KINDS = (
    "price_above",
    "price_below",
    "cross_up",
    "cross_down",
    "channel_enter",
    "channel_exit",
    "move",
    "volume_spike",
)


def make_rules(
    n: int, symbols: list[str], base: dict[str, Decimal], rng: random.Random
) -> list[Rule]:
    rules: list[Rule] = []
    for i in range(n):
        sym = symbols[i % len(symbols)]
        p = base[sym]
        kind = KINDS[rng.randrange(len(KINDS))]
        level = (p * Decimal(rng.uniform(0.8, 1.2))).quantize(Decimal("0.01"))
        data: dict[str, object] = {"id": f"r{i}", "kind": kind, "symbol": sym}
        if kind in ("price_above", "price_below"):
            data["threshold"] = level
        elif kind in ("cross_up", "cross_down"):
            data["level"] = level
        elif kind in ("channel_enter", "channel_exit"):
            data["lower"], data["upper"] = level, level + p * Decimal("0.05")
        elif kind == "move":
            data.update(window=300, percent=rng.choice([1, 2, 5]))
        else:
            data.update(factor=rng.choice([3, 5, 10]), baseline=20)
        rules.append(rule_from_dict(data))
    return rules


def plain_loop(rules: list[Rule], last: dict[str, Decimal], tick: Tick) -> int:
    """Evaluate every rule against one tick without any index (the baseline)."""
    hits = 0
    prev = last.get(tick.symbol)
    p = tick.price
    for r in rules:
        if getattr(r, "symbol", None) != tick.symbol or prev is None:
            continue
        kind = r.kind
        if kind == "price_above":
            hits += (p > r.threshold) != (prev > r.threshold)  # type: ignore[union-attr]
        elif kind == "price_below":
            hits += (p < r.threshold) != (prev < r.threshold)  # type: ignore[union-attr]
        elif kind == "cross_up":
            hits += prev < r.level <= p  # type: ignore[union-attr]
        elif kind == "cross_down":
            hits += prev >= r.level > p  # type: ignore[union-attr]
        elif kind in ("channel_enter", "channel_exit"):
            inside0 = r.lower <= prev <= r.upper  # type: ignore[union-attr]
            inside1 = r.lower <= p <= r.upper  # type: ignore[union-attr]
            hits += inside0 != inside1
        else:
            hits += abs(p - prev) > 0
    last[tick.symbol] = p
    return hits


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=int, default=100_000)
    parser.add_argument("--symbols", type=int, default=5_000)
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--baseline-events", type=int, default=100)
    args = parser.parse_args()
    rng = random.Random(7)
    symbols = [f"S{i:05d}" for i in range(args.symbols)]
    base = {s: Decimal(rng.randint(1000, 50000)) / 100 for s in symbols}
    started = time.perf_counter()
    rules = make_rules(args.rules, symbols, base, rng)
    built = time.perf_counter() - started
    clock = [0.0]
    started = time.perf_counter()
    engine = Engine(rules, clock=lambda: clock[0])
    indexed_in = time.perf_counter() - started

    price = dict(base)

    def next_tick() -> Tick:
        sym = symbols[rng.randrange(len(symbols))]
        price[sym] = max(
            Decimal("0.01"),
            (price[sym] * Decimal(1 + rng.gauss(0, 0.004))).quantize(Decimal("0.01")),
        )
        clock[0] += 0.001
        return Tick(sym, price[sym], Decimal(rng.randint(100, 5000)))

    for sym in symbols:  # warm-up: every symbol has a previous price in both contenders
        engine.process(Tick(sym, price[sym], Decimal(1000)))
    last = dict(price)
    gc.collect()
    gc.freeze()  # 100k long-lived rule objects: keep the collector from rescanning them

    ticks = [next_tick() for _ in range(args.events)]
    notes = 0
    samples: list[float] = []
    base_samples: list[float] = []
    # Interleave the contenders so both see the same machine load (the box is shared).
    per_base = max(1, args.events // args.baseline_events)
    for i, tick in enumerate(ticks):
        t0 = time.perf_counter()
        notes += len(engine.process(tick))
        samples.append(time.perf_counter() - t0)
        if i % per_base == 0 and len(base_samples) < args.baseline_events:
            t0 = time.perf_counter()
            plain_loop(rules, last, tick)
            base_samples.append(time.perf_counter() - t0)
        else:
            last[tick.symbol] = tick.price
    engine_mean = statistics.fmean(samples)
    engine_p99 = sorted(samples)[int(len(samples) * 0.99)]
    base_mean = statistics.fmean(base_samples)

    table = Table(
        title=f"alerts: cost per tick, {len(rules):,} rules over {len(symbols):,} symbols"
    )
    table.add_column("contender")
    table.add_column("events", justify="right")
    table.add_column("mean per event", justify="right")
    table.add_column("median", justify="right")
    table.add_column("p99 per event", justify="right")
    table.add_column("vs plain loop", justify="right")
    table.add_row(
        "plain loop over all rules (baseline)",
        f"{len(base_samples):,}",
        f"{base_mean * 1e6:,.1f} µs",
        f"{statistics.median(base_samples) * 1e6:,.1f} µs",
        f"{sorted(base_samples)[int(len(base_samples) * 0.99)] * 1e6:,.1f} µs",
        "1.0x",
    )
    table.add_row(
        "indexed engine (state machine included)",
        f"{len(samples):,}",
        f"{engine_mean * 1e6:,.1f} µs",
        f"{statistics.median(samples) * 1e6:,.1f} µs",
        f"{engine_p99 * 1e6:,.1f} µs",
        f"{base_mean / engine_mean:,.0f}x cheaper",
    )
    console = Console(width=120)
    console.print(table)
    console.print(
        f"rules built in {built:.1f} s, indexed in {indexed_in:.1f} s; "
        f"{notes:,} notifications over {len(samples):,} ticks; "
        f"goal >= 100x: {'met' if base_mean / engine_mean >= 100 else 'NOT met'}"
    )


if __name__ == "__main__":
    main()
