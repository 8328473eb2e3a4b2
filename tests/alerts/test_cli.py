"""The `alerts` command line, as a user runs it."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from alerts import Outbox, verify_webhook
from alerts.cli import app
from statestore import StateStore, open_store
from tests.alerts.helpers import note

if TYPE_CHECKING:
    from tests.alerts.servers import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
REPO = Path(__file__).resolve().parents[2]


def write_rules(folder: Path, url: str) -> Path:
    path = folder / "rules.toml"
    path.write_text(
        f"""
[channels.hook]
type = "webhook"
url = "{url}/hook"
secret = "{SECRET}"

[[rules]]
id = "ibm-up"
kind = "cross_up"
symbol = "IBM"
level = 150
channels = ["hook"]
"""
    )
    return path


runner = CliRunner()


class TestCheck:
    def test_valid_file_is_explained(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["check", str(write_rules(tmp_path, "http://x"))])
        assert result.exit_code == 0, result.output
        assert "crosses up through 150" in result.output

    def test_invalid_file_exits_1_with_line(self, tmp_path: Path) -> None:
        path = tmp_path / "bad.yaml"
        path.write_text(
            "rules:\n  - id: a\n    kind: price_above\n    symbol: IBM\n    threshold: x\n"
        )
        result = runner.invoke(app, ["check", str(path)])
        assert result.exit_code == 1
        assert "line 5" in result.output
        assert "rules[0].threshold" in result.output

    def test_json_and_simulation(self, tmp_path: Path) -> None:
        events = tmp_path / "events.jsonl"
        events.write_text(
            '{"type":"tick","symbol":"IBM","price":"149"}\n'
            '{"type":"tick","symbol":"IBM","price":"151"}\n'
        )
        rules = write_rules(tmp_path, "http://x")
        result = runner.invoke(app, ["check", str(rules), "--events", str(events), "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["valid"] is True
        assert [n["summary"] for n in data["notifications"]] == ["IBM crossed up 150 (last 151)"]

    def test_simulation_skips_rules_markers_of_a_stream_dump(self, tmp_path: Path) -> None:
        events = tmp_path / "events.jsonl"
        events.write_text(
            '{"type":"tick","symbol":"IBM","price":"149"}\n'
            '{"type":"rules","version":3}\n'
            '{"type":"tick","symbol":"IBM","price":"151"}\n'
        )
        rules = write_rules(tmp_path, "http://x")
        result = runner.invoke(app, ["check", str(rules), "--events", str(events), "--json"])
        assert result.exit_code == 0, result.output
        assert len(json.loads(result.output)["notifications"]) == 1

    def test_simulation_runs_on_event_timestamps(self, tmp_path: Path) -> None:
        rules = tmp_path / "rules.toml"
        rules.write_text(
            '[[rules]]\nid = "open"\nkind = "cross_up"\nsymbol = "IBM"\nlevel = 150\n'
            '[rules.schedule]\ntimezone = "America/New_York"\nstart = "09:30"\nend = "16:00"\n'
        )
        events = tmp_path / "events.jsonl"
        lines = []
        for stamp in ("2026-01-05T14:00:00Z", "2026-01-05T15:00:00Z"):  # Monday 09:00, 10:00 NY
            for price in (149, 151):
                tick = {"type": "tick", "symbol": "IBM", "price": price, "timestamp": stamp}
                lines.append(json.dumps(tick))
        events.write_text("\n".join(lines))
        result = runner.invoke(app, ["check", str(rules), "--events", str(events), "--json"])
        times = [n["at"] for n in json.loads(result.output)["notifications"]]
        assert times == ["2026-01-05T15:00:00Z"]


class TestTestCommand:
    def test_sends_to_channel(self, tmp_path: Path, receiver: Receiver) -> None:
        result = runner.invoke(
            app, ["test", "hook", "--rules", str(write_rules(tmp_path, receiver.url))]
        )
        assert result.exit_code == 0, result.output
        verify_webhook(SECRET, receiver.requests[0].headers, receiver.requests[0].body)

    def test_unknown_channel(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app, ["test", "nope", "--rules", str(write_rules(tmp_path, "http://x"))]
        )
        assert result.exit_code == 1

    def test_failure_exits_1(self, tmp_path: Path, receiver: Receiver) -> None:
        from tests.alerts.servers import Answer

        receiver.default = Answer(500, {}, b"boom")
        result = runner.invoke(
            app, ["test", "hook", "--rules", str(write_rules(tmp_path, receiver.url))]
        )
        assert result.exit_code == 1
        assert "HTTP 500" in result.output


class TestInspect:
    def test_outbox_and_history(self, tmp_path: Path, store: StateStore) -> None:
        outbox = Outbox(store)
        outbox.submit([note(channels=("a",)), note(id="n2", channels=("b",))])
        item = store.claim(outbox.queue, lease=30)[0]
        store.dead(outbox.queue, item.id, reason="HTTP 404")
        url = f"sqlite://{tmp_path}/state"
        result = runner.invoke(app, ["outbox", "--state-url", url, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert len(data["pending"]) == 1
        assert data["dead"][0]["reason"] == "HTTP 404"
        result = runner.invoke(app, ["outbox", "--state-url", url, "--fail-on-dead"])
        assert result.exit_code == 1
        assert "dead letters: 1" in result.output
        result = runner.invoke(app, ["history", "--state-url", url, "--json"])
        assert [e["event"] for e in json.loads(result.output)] == ["accepted", "accepted"]
        assert runner.invoke(app, ["history", "--state-url", url]).exit_code == 0
        only = runner.invoke(app, ["history", "--state-url", url, "--rule", "nope", "--json"])
        assert json.loads(only.output) == []

    def test_requeue_dead_letters(self, tmp_path: Path, store: StateStore) -> None:
        outbox = Outbox(store)
        outbox.submit([note(channels=("a",)), note(id="n2", channels=("b",))])
        for item in store.claim(outbox.queue, lease=30, count=2):
            store.dead(outbox.queue, item.id, reason="HTTP 404")
        url = f"sqlite://{tmp_path}/state"
        first = outbox.dead_letters()[0].id
        result = runner.invoke(app, ["outbox", "--state-url", url, "--requeue", first[:16]])
        assert result.exit_code == 0, result.output
        assert "requeued 1" in result.output
        assert "dead letters: 1" in result.output
        assert "pending: 1" in result.output
        result = runner.invoke(app, ["outbox", "--state-url", url, "--requeue", "dlv_nope"])
        assert result.exit_code == 1
        result = runner.invoke(app, ["outbox", "--state-url", url, "--requeue-all", "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.stdout)
        assert (len(data["pending"]), data["dead"]) == (2, [])


@pytest.mark.slow
def test_run_consumes_the_stream_and_delivers(tmp_path: Path, receiver: Receiver) -> None:
    rules = write_rules(tmp_path, receiver.url)
    url = f"sqlite://{tmp_path}/state"
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "alerts",
            "run",
            "--rules",
            str(rules),
            "--state-url",
            url,
            "--duration",
            "20",
        ],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        publisher = open_store(url)
        deadline = time.monotonic() + 15
        # Publish until the engine is up and has seen a crossing.
        price = 149
        while not receiver.requests and time.monotonic() < deadline:
            payload = {"type": "tick", "symbol": "IBM", "price": str(price)}
            publisher.publish("switchyard:events", json.dumps(payload).encode())
            price = 151 if price == 149 else 149
            time.sleep(0.2)
        publisher.close()
        assert receiver.requests, "no delivery"
        body = receiver.requests[0].json()
        assert body["data"]["rule_id"] == "ibm-up"  # type: ignore[index]
    finally:
        proc.terminate()
        proc.communicate(timeout=30)
    assert proc.returncode == 0


def test_version() -> None:
    result = runner.invoke(app, ["version"])
    assert result.exit_code == 0
    assert result.output.strip()


@pytest.mark.parametrize(
    "url",
    [pytest.param("foo://x", id="bad-url"), pytest.param("redis://127.0.0.1:1/0", id="down")],
)
def test_unusable_store_is_one_line_and_exit_1(url: str) -> None:
    for command in (["outbox"], ["history"]):
        result = runner.invoke(app, [*command, "--state-url", url])
        assert result.exit_code == 1
        assert "state store:" in result.output
        assert "Traceback" not in result.output
