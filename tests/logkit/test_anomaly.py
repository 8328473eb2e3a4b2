"""Analyzer: new templates, rate spikes, error bursts, report, JSON state."""

from __future__ import annotations

import json
from typing import Any

import pytest

from logkit import Analyzer, Anomaly, StateError


class _Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def _warm(analyzer: Analyzer, clock: _Clock, windows: int = 6) -> None:
    for _ in range(windows):
        analyzer.feed([f"GET /page/{i} took {i} ms" for i in range(5)], source="wp")
        clock.now += 60


@pytest.fixture
def clock() -> _Clock:
    return _Clock()


@pytest.fixture
def analyzer(clock: _Clock) -> Analyzer:
    return Analyzer(clock=clock, warmup_lines=20, warmup_windows=2)


class TestAnomalies:
    def test_nothing_during_warmup_or_steady_state(self, analyzer: Analyzer, clock: _Clock) -> None:
        for _ in range(8):
            assert (
                analyzer.feed([f"GET /page/{i} took {i} ms" for i in range(5)], source="wp") == []
            )
            clock.now += 60

    def test_new_template_after_warmup(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        [anomaly] = analyzer.feed(["disk /dev/sda1 is 97% full"], source="wp")
        assert anomaly.kind == "new_template"
        assert anomaly.template == "disk <*> is <*> full"
        assert anomaly.samples == ["disk /dev/sda1 is 97% full"]
        assert analyzer.feed(["disk /dev/sdb1 is 98% full"], source="wp") == []

    def test_rate_spike_per_template_and_source(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        found = analyzer.feed(["GET /page/1 took 5 ms"] * 40, source="wp")
        kinds = {(a.kind, a.template) for a in found}
        assert ("rate_spike", "GET <*> took <*>") in kinds
        assert ("rate_spike", "*") in kinds
        spike = next(a for a in found if a.template != "*")
        assert spike.count >= 10
        assert 0 < spike.baseline < 6
        # once per window
        assert analyzer.feed(["GET /page/1 took 5 ms"] * 40, source="wp") == []

    def test_error_burst(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        lines = [f"PHP Fatal error:  boom {i}" for i in range(6)]
        found = analyzer.feed(lines, source="wp", fmt="php")
        burst = next(a for a in found if a.kind == "error_burst")
        assert burst.level == "critical"
        assert burst.template == "boom <*>"
        assert len(burst.samples) == 5

    def test_samples_are_redacted(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        [anomaly] = analyzer.feed(["call https://x.test/q?apikey=SEKRET1 failed"], source="wp")
        assert "SEKRET1" not in json.dumps(anomaly.to_event())

    def test_event_matches_contract(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        [anomaly] = analyzer.feed(["brand new thing happened"], source="wp")
        event = anomaly.to_event()
        assert set(event) == {
            "type", "kind", "source", "template_id", "template", "count", "baseline",
            "samples", "timestamp",
        }  # fmt: skip
        assert event["type"] == "anomaly"
        assert str(event["timestamp"]).endswith("Z")
        assert Anomaly.model_validate_json(anomaly.model_dump_json()) == anomaly


class TestReportAndState:
    def test_report(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        analyzer.feed(["brand new thing happened"], source="other")
        report = analyzer.report()
        assert report.entries == 31
        assert report.top_templates[0].template == "GET <*> took <*>"
        assert report.top_templates[0].count == 30
        assert report.sources == {"wp": 30, "other": 1}
        assert [t.template for t in report.new_templates] == []  # "other" is still warming up

    def test_state_round_trip_keeps_baselines(self, analyzer: Analyzer, clock: _Clock) -> None:
        _warm(analyzer, clock)
        state = json.loads(json.dumps(analyzer.to_state()))
        restored = Analyzer(clock=clock, warmup_lines=20, warmup_windows=2)
        restored.load_state(state)
        assert restored.feed(["GET /page/1 took 5 ms"], source="wp") == []
        assert {a.kind for a in restored.feed(["something else entirely"], source="wp")} == {
            "new_template"
        }

    def test_invalid_state(self) -> None:
        with pytest.raises(StateError):
            Analyzer().load_state({"version": 1, "miner": {}})


class TestChunkedFeeding:
    def test_entry_split_between_chunks_stays_whole(self) -> None:
        analyzer = Analyzer()
        head = "[21-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Error: boom in /w/a.php:3"
        analyzer.feed([head, "Stack trace:"], source="f", fmt="php", flush=False)
        assert analyzer.report().entries == 0
        analyzer.feed(["#0 {main}", "  thrown in /a.php on line 3"], source="f", flush=False)
        analyzer.feed([], source="f")
        report = analyzer.report()
        assert (report.lines, report.entries) == (4, 1)
        assert report.top_templates[0].template == "Uncaught Error: boom in <*>"


class TestBridgeApi:
    def test_process_gives_log_events_for_every_entry(self) -> None:
        analyzer = Analyzer()
        result = analyzer.process(
            ["PHP Warning:  Undefined variable $a in /w/a.php on line 3 apikey=SEKRET9"],
            source="wordpress",
        )
        [entry] = result.entries
        event = entry.to_event()
        assert event["type"] == "log"
        assert event["level"] == "warning"
        assert event["template_id"] == entry.template_id
        assert "SEKRET9" not in event["message"]
        assert str(event["timestamp"]).endswith("Z")

    def test_process_records_for_structured_events(self, clock: _Clock) -> None:
        analyzer = Analyzer(clock=clock, warmup_lines=0, warmup_windows=0)
        records: list[dict[str, Any]] = [
            {"level": "error", "message": "payment failed for order 12", "context": {"o": 12}},
            {
                "level": "error",
                "message": "payment failed for order 13",
                "timestamp": "2026-11-21T10:00:00Z",
            },
        ]
        result = analyzer.process_records(records, source="wordpress")
        assert [e.template for e in result.entries] == ["payment failed for order <*>"] * 2
        assert result.entries[0].entry.fields == {"o": 12}
        assert result.entries[1].entry.timestamp is not None
        assert [a.kind for a in result.anomalies] == ["new_template"]


class TestMergedTemplates:
    def test_statistics_follow_merged_templates(self) -> None:
        analyzer = Analyzer()
        users = ["admin", "oracle", "support", "guest"]
        analyzer.feed(
            [f"Invalid user {u} from 10.0.0.{i}" for i, u in enumerate(users)], source="s"
        )
        [stat] = analyzer.report().top_templates
        assert stat.template == "Invalid user <*> from <*>"
        assert stat.count == 4
        assert stat.sources == {"s": 4}
        state = json.loads(json.dumps(analyzer.to_state()))
        restored = Analyzer()
        restored.load_state(state)
        assert restored.report().top_templates[0].count == 4
