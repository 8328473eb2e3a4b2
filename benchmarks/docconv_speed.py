"""docconv throughput and streaming memory, beside xmltodict, json2xml and dicttoxml.

Measures, in one run on the same data:

- JSON -> XML and XML -> JSON in MB/s (input megabytes per CPU second, best of ``--repeat``) on a
  generated document of quote records (``--mb``, default 20), for docconv's lossless and
  readable mappings and xmltodict; json2xml and dicttoxml (which only write XML, at 0.2-2 MB/s)
  are timed once on the first ``--slow-mb`` (default 2) of the same records, beside xmltodict;
- XML -> JSON on the real WordPress WXR exports of ``$SWITCHYARD_FIXTURES/xml/wxr``;
- peak resident memory of a child process that streams a generated file of ``--stream-mb``
  megabytes (env ``DOCCONV_BENCH_STREAM_MB``; default 200, use 1024 for the 1 GB figure) from
  XML to JSON lines and from a JSON array to XML.

Ratios are against xmltodict measured in the same run.

Run: ``python benchmarks/docconv_speed.py [--mb 20] [--stream-mb 200] [--repeat 3] [--json]``.
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import dicttoxml
import xmltodict
from json2xml import json2xml

import docconv

if TYPE_CHECKING:
    from collections.abc import Callable

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(os.environ.get("SWITCHYARD_FIXTURES", REPO_ROOT / ".." / "shared" / "fixtures"))
SYMBOLS = ["IBM", "MSFT", "AAPL", "GOOG", "AMZN", "TSLA", "NVDA", "META", "ORCL", "INTC"]


def quote(rng: random.Random, index: int) -> dict[str, Any]:
    """One quote record like marketdata's ``Quote`` (prices as JSON numbers)."""
    price = round(rng.uniform(5, 900), 2)
    change = round(rng.uniform(-20, 20), 2)
    return {
        "symbol": rng.choice(SYMBOLS),
        "price": price,
        "open": round(price - rng.uniform(-5, 5), 2),
        "high": round(price + rng.uniform(0, 8), 2),
        "low": round(price - rng.uniform(0, 8), 2),
        "previous_close": round(price - change, 2),
        "change": change,
        "change_percent": round(change / price * 100, 4),
        "volume": rng.randrange(1_000, 90_000_000),
        "timestamp": f"2026-01-{1 + index % 28:02d}T15:04:{index % 60:02d}Z",
        "provider": rng.choice(["finnhub", "alphavantage"]),
        "stale": rng.random() < 0.05,
    }


def make_records(megabytes: float, seed: int = 7) -> list[dict[str, Any]]:
    """Enough quote records for about ``megabytes`` of JSON."""
    rng = random.Random(seed)
    sample = json.dumps([quote(rng, i) for i in range(100)])
    count = max(1, int(megabytes * 1e6 / (len(sample) / 100)))
    rng = random.Random(seed)
    return [quote(rng, i) for i in range(count)]


def records_xml(records: list[dict[str, Any]]) -> bytes:
    """The natural XML of the records (what xmltodict.unparse writes)."""
    text: str = xmltodict.unparse({"quotes": {"quote": records}})
    return text.encode("utf-8")


def best(func: Callable[[], Any], repeat: int) -> float:
    """Best CPU time of ``repeat`` calls (CPU time: the machine is shared, wall time is noisy)."""
    times = []
    for _ in range(repeat):
        gc.collect()
        start = time.process_time()
        func()
        times.append(time.process_time() - start)
    return min(times)


def measure(
    rows: list[dict[str, Any]],
    direction: str,
    data: str,
    size: int,
    cases: dict[str, Callable[[], Any]],
    repeat: int,
) -> None:
    """Time each case and append a row with MB/s and the ratio to xmltodict."""
    timings = {name: best(func, repeat) for name, func in cases.items()}
    base = timings.get("xmltodict")
    for name, seconds in timings.items():
        rows.append(
            {
                "direction": direction,
                "data": data,
                "library": name,
                "mb_per_s": round(size / 1e6 / seconds, 1),
                "vs_xmltodict": round(base / seconds, 2) if base else None,
            }
        )


# Peak memory is VmHWM of the child's own address space: ru_maxrss would also count the
# benchmark process it was forked from (Linux keeps ru_maxrss across exec).
STREAM_CHILD = r"""
import sys, time
import docconv
kind, path = sys.argv[1], sys.argv[2]
start = time.process_time()
with open(path, "rb") as src, open("/dev/null", "wb") as sink:
    if kind == "xml2jsonl":
        chunks = docconv.stream_xml_to_json(src, "quote", mapping=sys.argv[3])
    else:
        chunks = docconv.stream_json_to_xml(src, mapping=sys.argv[3], tag="quote", root="quotes")
    for chunk in chunks:
        sink.write(chunk)
seconds = time.process_time() - start
with open("/proc/self/status") as status:
    peak_kb = next(line.split()[1] for line in status if line.startswith("VmHWM:"))
print(peak_kb, seconds)
"""


def stream_memory(megabytes: float, rows: list[dict[str, Any]], mappings: list[str]) -> None:
    """Peak RSS of child processes streaming a generated file each way."""
    rng = random.Random(11)
    with tempfile.TemporaryDirectory() as folder:
        xml_path = Path(folder) / "quotes.xml"
        json_path = Path(folder) / "quotes.json"
        target = int(megabytes * 1e6)
        block = [quote(rng, i) for i in range(2000)]
        xml_block = xmltodict.unparse({"q": {"quote": block}}, full_document=False)
        xml_block = xml_block[len("<q>") : -len("</q>")]
        json_block = json.dumps(block)[1:-1]
        with xml_path.open("w") as xml_out, json_path.open("w") as json_out:
            xml_out.write("<quotes>")
            json_out.write("[")
            written = 0
            first = True
            while written < target:
                xml_out.write(xml_block)
                json_out.write(("" if first else ",") + json_block)
                first = False
                written += len(json_block)
            xml_out.write("</quotes>")
            json_out.write("]")
        for kind, path in (("xml2jsonl", xml_path), ("json2xml", json_path)):
            for mapping in mappings:
                result = subprocess.run(
                    [sys.executable, "-c", STREAM_CHILD, kind, str(path), mapping],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                peak_kb, seconds = result.stdout.split()
                size = path.stat().st_size
                rows.append(
                    {
                        "stream": kind,
                        "mapping": mapping,
                        "file_mb": round(size / 1e6),
                        "peak_rss_mb": round(int(peak_kb) / 1024, 1),
                        "mb_per_s": round(size / 1e6 / float(seconds), 1),
                    }
                )


def throughput(args: argparse.Namespace) -> list[dict[str, Any]]:
    """MB/s of every converter on the generated quotes and the real WXR files."""
    rows: list[dict[str, Any]] = []
    records = make_records(args.mb)
    json_text = json.dumps(records)
    wrapped = {"quotes": {"quote": records}}
    wrapped_text = json.dumps(wrapped)
    xml_bytes = records_xml(records)

    measure(
        rows,
        "json->xml",
        f"{len(records)} quotes",
        len(json_text),
        {
            "docconv lossless": lambda: docconv.json_to_xml(json_text),
            "docconv readable": lambda: docconv.json_to_xml(wrapped_text, mapping="readable"),
            "xmltodict": lambda: xmltodict.unparse(json.loads(wrapped_text)),
        },
        args.repeat,
    )
    # json2xml and dicttoxml run at 0.2-2 MB/s: timed once, on the first --slow-mb of records.
    slow = records[: max(1, int(len(records) * min(1.0, args.slow_mb / args.mb)))]
    slow_text = json.dumps(slow)
    slow_wrapped = json.dumps({"quotes": {"quote": slow}})
    measure(
        rows,
        "json->xml",
        f"first {len(slow)} quotes",
        len(slow_text),
        {
            "docconv lossless": lambda: docconv.json_to_xml(slow_text),
            "xmltodict": lambda: xmltodict.unparse(json.loads(slow_wrapped)),
            "json2xml": lambda: json2xml.Json2xml(
                json.loads(slow_text), max_items=10**9, max_output_bytes=10**10
            ).to_xml(),
            "dicttoxml": lambda: dicttoxml.dicttoxml(json.loads(slow_text)),
        },
        1,
    )
    jsonml_text = docconv.xml_to_json(xml_bytes)
    readable_text = docconv.xml_to_json(xml_bytes, mapping="readable")
    measure(
        rows,
        "json->xml",
        f"{len(records)} quotes, each tool's JSON form of the XML",
        len(jsonml_text),
        {
            "docconv lossless (JsonML)": lambda: docconv.json_to_xml(jsonml_text),
            "docconv readable": lambda: docconv.json_to_xml(readable_text, mapping="readable"),
            "xmltodict": lambda: xmltodict.unparse(json.loads(readable_text)),
        },
        args.repeat,
    )
    measure(
        rows,
        "xml->json",
        f"{len(records)} quotes",
        len(xml_bytes),
        {
            "docconv lossless": lambda: docconv.xml_to_json(xml_bytes),
            "docconv readable": lambda: docconv.xml_to_json(xml_bytes, mapping="readable"),
            "xmltodict": lambda: json.dumps(xmltodict.parse(xml_bytes)),
        },
        args.repeat,
    )
    w3c_xml = docconv.json_to_xml(json_text)
    measure(
        rows,
        "xml->json",
        f"{len(records)} quotes as W3C XML (the JSON round trip's way back)",
        len(w3c_xml),
        {
            "docconv lossless": lambda: docconv.xml_to_json(w3c_xml),
            "xmltodict": lambda: json.dumps(xmltodict.parse(w3c_xml)),
        },
        args.repeat,
    )
    wxr = sorted((FIXTURES / "xml" / "wxr").glob("*.xml"))
    for path in wxr:
        data = path.read_bytes()
        measure(
            rows,
            "xml->json",
            path.name,
            len(data),
            {
                "docconv lossless": lambda data=data: docconv.xml_to_json(data),  # type: ignore[misc]
                "docconv readable": lambda data=data: docconv.xml_to_json(  # type: ignore[misc]
                    data, mapping="readable", strict=False
                ),
                "xmltodict": lambda data=data: json.dumps(xmltodict.parse(data)),  # type: ignore[misc]
            },
            args.repeat,
        )
    return rows


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print the tables."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=20.0, help="size of the quote document")
    parser.add_argument(
        "--stream-mb",
        type=float,
        default=float(os.environ.get("DOCCONV_BENCH_STREAM_MB", "200")),
        help="size of the streamed file (0 skips)",
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--stream-mappings", default="lossless,readable")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument(
        "--slow-mb", type=float, default=2.0, help="data size for json2xml and dicttoxml"
    )
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    args = parser.parse_args(argv)

    rows = [] if args.skip_throughput else throughput(args)
    stream_rows: list[dict[str, Any]] = []
    if args.stream_mb > 0:
        stream_memory(args.stream_mb, stream_rows, args.stream_mappings.split(","))

    if args.json:
        print(json.dumps({"throughput": rows, "streaming": stream_rows}, indent=2))
        return 0
    if rows:
        print("| direction | data | library | MB/s | vs xmltodict |\n|---|---|---|---:|---:|")
    for row in rows:
        ratio = "" if row["vs_xmltodict"] is None else f"{row['vs_xmltodict']:.2f}x"
        print(
            f"| {row['direction']} | {row['data']} | {row['library']} |"
            f" {row['mb_per_s']} | {ratio} |"
        )
    if stream_rows:
        print("\n| stream | mapping | file MB | peak RSS MB | MB/s |\n|---|---|---:|---:|---:|")
        for row in stream_rows:
            print(
                f"| {row['stream']} | {row['mapping']} | {row['file_mb']} |"
                f" {row['peak_rss_mb']} | {row['mb_per_s']} |"
            )
    return 0


if __name__ == "__main__":
    sys.exit(main())
