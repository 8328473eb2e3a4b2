"""The `statestore` command line, run as a user would."""

from __future__ import annotations

import json
import time

from typer.testing import CliRunner

from statestore import open_store
from statestore.cli import app

runner = CliRunner()


def _fill(url: str) -> None:
    with open_store(url) as store:
        store.publish("switchyard:events", b'{"type":"tick"}')
        store.enqueue("alerts:outbox", "n1", b'{"to":"ops"}', available_at=time.time() - 1)
        store.enqueue("alerts:outbox", "n2", b"\xff\x00")
        store.enqueue("alerts:outbox", "n3", b"gone")
        store.claim("alerts:outbox", lease=60)
        store.dead("alerts:outbox", "n3", reason="HTTP 410")


class TestInfo:
    def test_json_reports_sizes(self, store_url: str) -> None:
        _fill(store_url)
        result = runner.invoke(app, ["info", "--url", store_url, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        assert data["streams"] == {"switchyard:events": 1}
        assert data["queues"] == {"alerts:outbox": {"pending": 1, "leased": 1, "dead": 1}}
        assert data["backend"] in {"sqlite", "redis"}

    def test_table_names_streams_and_queues(self, store_url: str) -> None:
        _fill(store_url)
        result = runner.invoke(app, ["info", "--url", store_url])
        assert result.exit_code == 0, result.output
        assert "switchyard:events" in result.output
        assert "alerts:outbox" in result.output

    def test_bad_url_exits_2(self) -> None:
        result = runner.invoke(app, ["info", "--url", "ftp://x"])
        assert result.exit_code == 2
        assert "unsupported" in result.output

    def test_unreachable_redis_exits_1_without_password(self) -> None:
        result = runner.invoke(app, ["info", "--url", "redis://:s3cret@127.0.0.1:1/0"])
        assert result.exit_code == 1
        assert "s3cret" not in result.output


class TestQueue:
    def test_json_lists_pending_and_dead(self, store_url: str) -> None:
        _fill(store_url)
        result = runner.invoke(app, ["queue", "alerts:outbox", "--url", store_url, "--json"])
        assert result.exit_code == 0, result.output
        data = json.loads(result.output)
        pending = {p["id"]: p for p in data["pending"]}
        assert set(pending) == {"n1", "n2"}
        assert pending["n1"]["payload"] == '{"to":"ops"}'
        assert pending["n1"]["leased_until"] is not None
        assert pending["n2"]["payload_base64"] == "/wA="
        assert [(d["id"], d["reason"]) for d in data["dead"]] == [("n3", "HTTP 410")]

    def test_table_shows_reason(self, store_url: str) -> None:
        _fill(store_url)
        result = runner.invoke(app, ["queue", "alerts:outbox", "--url", store_url])
        assert result.exit_code == 0, result.output
        assert "HTTP 410" in result.output
        assert "n1" in result.output


class TestStream:
    def test_json_lines_from_the_oldest(self, store_url: str) -> None:
        with open_store(store_url) as store:
            ids = [store.publish("ev", f'{{"n":{i}}}'.encode()) for i in range(5)]
        result = runner.invoke(app, ["stream", "ev", "--url", store_url, "--json", "--count", "3"])
        assert result.exit_code == 0, result.output
        lines = [json.loads(line) for line in result.output.splitlines()]
        assert [line["id"] for line in lines] == ids[:3]
        assert lines[0]["payload"] == '{"n":0}'

    def test_after_an_id(self, store_url: str) -> None:
        with open_store(store_url) as store:
            ids = [store.publish("ev", str(i).encode()) for i in range(3)]
        result = runner.invoke(app, ["stream", "ev", "--url", store_url, "--after", ids[0]])
        assert result.exit_code == 0, result.output
        assert ids[1] in result.output
        assert ids[2] in result.output
        assert ids[0] not in result.output

    def test_malformed_after_exits_2(self, store_url: str) -> None:
        result = runner.invoke(app, ["stream", "ev", "--url", store_url, "--after", "nope"])
        assert result.exit_code == 2
        assert "stream id" in result.output
