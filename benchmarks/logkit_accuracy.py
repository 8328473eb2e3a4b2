"""Template-mining accuracy on the 16 Loghub-2k systems: logkit (one configuration) vs Drain3.

Reads the research-only Loghub-2k fixtures from ``$SWITCHYARD_FIXTURES/loghub2k`` (never copied
into the repository).  Every parser gets the ``Content`` column (the message without the header),
the standard protocol of the Loghub benchmark.  Metrics:

- GA (grouping accuracy): share of lines whose predicted group is exactly the true group;
- FGA: F1 of exactly recovered groups (precision over predicted groups, recall over true ones);
- PA (parsing accuracy): share of lines whose template text equals the true template
  (whitespace normalised, runs of ``<*>`` collapsed).

Ground truth: the corrected ICSE'22 version (``_structured_corrected.csv``) by default;
``--truth original`` or ``--truth loghub2`` (14 systems) for the others.

Run: ``python benchmarks/logkit_accuracy.py [--truth corrected] [--json]``.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import TYPE_CHECKING

from logkit import TemplateMiner

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

SYSTEMS = [
    "HDFS", "Hadoop", "Spark", "Zookeeper", "BGL", "HPC", "Thunderbird", "Windows",
    "Linux", "Android", "HealthApp", "Apache", "Proxifier", "OpenSSH", "OpenStack", "Mac",
]  # fmt: skip

TRUTH_FILES = {
    "corrected": "{s}_2k.log_structured_corrected.csv",
    "original": "{s}_2k.log_structured.csv",
    "loghub2": "{s}_2k.log_structured_loghub2.csv",
}


def fixtures_root() -> Path:
    """``$SWITCHYARD_FIXTURES/loghub2k`` (default: ../shared/fixtures next to the repo)."""
    default = Path(__file__).resolve().parents[1] / ".." / "shared" / "fixtures"
    return Path(os.environ.get("SWITCHYARD_FIXTURES", default)) / "loghub2k"


def load(system: str, truth: str) -> tuple[list[str], list[str], list[str]] | None:
    """Messages, true event ids and true templates of one system (None when absent)."""
    folder = fixtures_root() / system
    content_file = folder / TRUTH_FILES["corrected"].format(s=system)
    truth_file = folder / TRUTH_FILES[truth].format(s=system)
    if not content_file.is_file() or not truth_file.is_file():
        return None
    with content_file.open(newline="", encoding="utf-8") as fh:
        messages = [row["Content"] for row in csv.DictReader(fh)]
    with truth_file.open(newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    return messages, [r["EventId"] for r in rows], [r["EventTemplate"] for r in rows]


_RUNS = re.compile(r"(?:<\*>\s*)+")


def _norm(template: str) -> str:
    return _RUNS.sub("<*> ", " ".join(template.split())).strip()


def scores(
    predicted_ids: Sequence[str],
    predicted_templates: Sequence[str],
    true_ids: Sequence[str],
    true_templates: Sequence[str],
) -> tuple[float, float, float]:
    """(GA, FGA, PA) of one system."""
    true_groups: dict[str, set[int]] = defaultdict(set)
    pred_groups: dict[str, set[int]] = defaultdict(set)
    for i, (p, t) in enumerate(zip(predicted_ids, true_ids, strict=True)):
        pred_groups[p].add(i)
        true_groups[t].add(i)
    true_sets = {frozenset(v) for v in true_groups.values()}
    correct_lines = 0
    correct_groups = 0
    for members in pred_groups.values():
        if frozenset(members) in true_sets:
            correct_lines += len(members)
            correct_groups += 1
    n = len(true_ids)
    ga = correct_lines / n
    precision = correct_groups / len(pred_groups)
    recall = correct_groups / len(true_groups)
    fga = 0.0 if precision + recall == 0 else 2 * precision * recall / (precision + recall)
    pa = (
        sum(_norm(p) == _norm(t) for p, t in zip(predicted_templates, true_templates, strict=True))
        / n
    )
    return ga, fga, pa


def run_logkit(messages: Sequence[str]) -> tuple[list[str], list[str]]:
    """logkit's miner with its one default configuration."""
    miner = TemplateMiner()
    ids = [miner.add(m).template_id for m in messages]
    final = [miner.resolve(i) for i in ids]
    texts = {t.id: t.template for t in miner.templates}
    return final, [texts[i] for i in final]


def run_drain3(
    messages: Sequence[str], settings: dict[str, object] | None
) -> tuple[list[str], list[str]]:
    """Drain3 untuned (``settings=None``) or with the published per-dataset settings."""
    from drain3 import TemplateMiner as Drain3Miner
    from drain3.masking import MaskingInstruction
    from drain3.template_miner_config import TemplateMinerConfig

    config = TemplateMinerConfig()
    config.profiling_enabled = False
    if settings is not None:
        config.drain_sim_th = float(str(settings["st"]))
        config.drain_depth = int(str(settings["depth"]))
        regexes = settings["regex"]
        assert isinstance(regexes, list)
        config.masking_instructions = [MaskingInstruction(str(r), "*") for r in regexes]
        config.mask_prefix, config.mask_suffix = "<", ">"
    miner = Drain3Miner(config=config)
    ids = [miner.add_log_message(m)["cluster_id"] for m in messages]
    templates = {c.cluster_id: c.get_template() for c in miner.drain.clusters}
    return [str(i) for i in ids], [templates[i] for i in ids]


def main(argv: Sequence[str] | None = None) -> int:
    """Print a table of GA/FGA/PA per system and the averages; ``--json`` for data."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--truth", choices=sorted(TRUTH_FILES), default="corrected")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--only", nargs="*", default=None, help="systems to run")
    parser.add_argument("--no-drain3", action="store_true")
    args = parser.parse_args(argv)
    settings_path = fixtures_root() / "benchmark_settings.json"
    if not settings_path.is_file():
        print(f"Loghub-2k fixtures not found under {fixtures_root()}: skipped", file=sys.stderr)
        return 0
    published = json.loads(settings_path.read_text())["settings"]
    runners: dict[str, Callable[[str, Sequence[str]], tuple[list[str], list[str]]]] = {
        "logkit": lambda s, m: run_logkit(m),
    }
    if not args.no_drain3:
        runners["drain3 untuned"] = lambda s, m: run_drain3(m, None)
        runners["drain3 tuned"] = lambda s, m: run_drain3(m, published[s])
    results: dict[str, dict[str, tuple[float, float, float]]] = defaultdict(dict)
    seconds: defaultdict[str, float] = defaultdict(float)
    lines = 0
    for system in args.only or SYSTEMS:
        data = load(system, args.truth)
        if data is None:
            continue
        messages, true_ids, true_templates = data
        lines += len(messages)
        for name, runner in runners.items():
            start = time.perf_counter()
            ids, templates = runner(system, messages)
            seconds[name] += time.perf_counter() - start
            results[name][system] = scores(ids, templates, true_ids, true_templates)
    averages = {
        name: tuple(sum(r[k] for r in per.values()) / len(per) for k in range(3))
        for name, per in results.items()
    }
    if args.json:
        print(json.dumps({"truth": args.truth, "results": results, "averages": averages}))
        return 0
    names = list(runners)
    header = f"{'system':<12}" + "".join(f"{n + ' GA/FGA/PA':>28}" for n in names)
    print(f"ground truth: {args.truth}\n{header}")
    systems = list(next(iter(results.values())))
    for system in systems:
        cells = "".join(
            "{:>28}".format("{:.3f} {:.3f} {:.3f}".format(*results[n][system])) for n in names
        )
        print(f"{system:<12}{cells}")
    cells = "".join("{:>28}".format("{:.3f} {:.3f} {:.3f}".format(*averages[n])) for n in names)
    print(f"{'average':<12}{cells}")
    for name in names:
        print(f"{name}: {lines / seconds[name]:,.0f} lines/s over {lines} lines")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
