"""Rules files in TOML, YAML and JSON: validation errors point at the line and the field."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import pytest
import yaml

from alerts import (
    RuleValidationError,
    Schedule,
    explain,
    load_rules,
    parse_duration,
    parse_rules,
    rule_from_dict,
    rule_to_dict,
)

if TYPE_CHECKING:
    from pathlib import Path

GOOD_TOML = """\
allowed_commands = ["/usr/bin/wp"]

[channels.ops]
type = "webhook"
url = "https://hooks.example.org/alerts"
secret = "${ALERTS_TEST_SECRET}"

[channels.chat]
type = "telegram"
bot_token = "${ALERTS_TEST_SECRET}"
chat_id = -100123

[actions.flush]
type = "command"
argv = ["/usr/bin/wp", "cache", "flush"]
dry_run = true

[[rules]]
id = "ibm-150"
kind = "cross_up"
symbol = "ibm"
level = 150
channels = ["ops", "chat"]
actions = ["flush"]

[rules.trigger]
mode = "every"
cooldown = "10m"

[rules.schedule]
timezone = "America/New_York"
start = "09:30"
end = "16:00"

[[rules]]
id = "quiet"
kind = "no_data"
symbol = "MSFT"
period = "15m"
"""

BAD_TOML = """\
[channels.ops]
type = "webhook"
url = "https://x.example/h"
secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

[[rules]]
id = "fine"
kind = "cross_up"
symbol = "IBM"
level = 1

[[rules]]
id = "broken"
kind = "price_above"
symbol = "IBM"
threshold = "lots"
channels = ["ops", "nowhere"]

[rules.trigger]
mode = "sometimes"
"""


@pytest.fixture(autouse=True)
def _secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ALERTS_TEST_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")


def as_format(toml_text: str, fmt: str) -> str:
    import tomllib

    data = tomllib.loads(toml_text)
    if fmt == "json":
        return json.dumps(data, indent=2)
    return yaml.safe_dump(data, sort_keys=False)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    seen = 0
    for number, line in enumerate(text.splitlines(), start=1):
        if needle in line:
            seen += 1
            if seen == occurrence:
                return number
    raise AssertionError(needle)


class TestLoad:
    @pytest.mark.parametrize("fmt", ["toml", "yaml", "json"])
    def test_good_document_in_each_format(self, tmp_path: Path, fmt: str) -> None:
        text = GOOD_TOML if fmt == "toml" else as_format(GOOD_TOML, fmt)
        path = tmp_path / f"rules.{fmt}"
        path.write_text(text)
        doc = load_rules(path)
        assert [r.id for r in doc.rules] == ["ibm-150", "quiet"]
        first = doc.rules[0]
        assert first.symbol == "IBM"  # type: ignore[union-attr]
        assert first.trigger.cooldown == 600
        assert first.schedule is not None
        assert doc.channels["ops"].secret.get_secret_value().startswith("whsec_")  # type: ignore[union-attr]
        assert "whsec" not in repr(doc.channels["ops"])

    @pytest.mark.parametrize("fmt", ["toml", "yaml", "json"])
    def test_errors_point_at_line_and_field(self, fmt: str) -> None:
        text = BAD_TOML if fmt == "toml" else as_format(BAD_TOML, fmt)
        with pytest.raises(RuleValidationError) as info:
            parse_rules(text, fmt, source=f"rules.{fmt}")  # type: ignore[arg-type]
        issues = {i.location: i for i in info.value.issues}
        assert set(issues) == {"rules[1].threshold", "rules[1].trigger.mode"}
        threshold = issues["rules[1].threshold"]
        assert threshold.line == line_of(text, "lots")
        assert "broken" in threshold.message
        mode = issues["rules[1].trigger.mode"]
        assert mode.line == line_of(text, "sometimes")
        assert f"rules.{fmt}" in str(info.value)

    def test_unknown_channel_reported_with_line(self) -> None:
        text = BAD_TOML.replace('"lots"', "5").replace('"sometimes"', '"once"')
        with pytest.raises(RuleValidationError) as info:
            parse_rules(text)
        (issue,) = info.value.issues
        assert issue.location == "rules[1].channels[1]"
        assert "unknown channel 'nowhere'" in issue.message
        assert issue.line == line_of(text, "nowhere")

    def test_unknown_kind_points_at_kind(self) -> None:
        text = '[[rules]]\nid = "x"\nkind = "price_sideways"\n'
        with pytest.raises(RuleValidationError) as info:
            parse_rules(text)
        assert info.value.issues[0].location == "rules[0].kind"
        assert info.value.issues[0].line == 3

    @pytest.mark.parametrize(
        ("text", "fmt", "line"),
        [
            pytest.param('[[rules]]\nid = "x\n', "toml", 2, id="toml"),
            pytest.param('{\n "rules": [\n  {"id": }\n ]\n}', "json", 3, id="json"),
            pytest.param("rules:\n  - id: x\n   kind: [\n", "yaml", 3, id="yaml"),
        ],
    )
    def test_syntax_errors_have_lines(self, text: str, fmt: str, line: int) -> None:
        with pytest.raises(RuleValidationError) as info:
            parse_rules(text, fmt)  # type: ignore[arg-type]
        assert info.value.issues[0].line == line

    def test_missing_env_var_is_reported(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("ALERTS_TEST_SECRET")
        with pytest.raises(RuleValidationError) as info:
            parse_rules(GOOD_TOML)
        locations = [i.location for i in info.value.issues]
        assert "channels.ops.secret" in locations
        assert info.value.issues[0].line == line_of(GOOD_TOML, "secret =")

    def test_command_must_be_allow_listed(self) -> None:
        text = GOOD_TOML.replace('allowed_commands = ["/usr/bin/wp"]', "")
        with pytest.raises(RuleValidationError, match="not in allowed_commands"):
            parse_rules(text)

    def test_duplicate_ids(self) -> None:
        text = '[[rules]]\nid="a"\nkind="health"\n[[rules]]\nid="a"\nkind="health"\n'
        with pytest.raises(RuleValidationError, match="duplicate rule id"):
            parse_rules(text)

    def test_unknown_suffix_and_missing_file(self, tmp_path: Path) -> None:
        with pytest.raises(RuleValidationError, match="unknown rules format"):
            load_rules(tmp_path / "rules.ini")
        with pytest.raises(RuleValidationError, match="cannot read"):
            load_rules(tmp_path / "absent.toml")


class TestRuleModels:
    @pytest.mark.parametrize(
        ("data", "message"),
        [
            pytest.param({"kind": "move", "symbol": "A", "window": 60}, "exactly one", id="move"),
            pytest.param(
                {"kind": "channel_enter", "symbol": "A", "lower": 5, "upper": 1},
                "lower must be below",
                id="band",
            ),
            pytest.param({"kind": "log_pattern", "pattern": "(("}, "regular expression", id="re"),
            pytest.param(
                {"kind": "cross_up", "symbol": "A", "level": 1, "for": 5}, "level rules", id="for"
            ),
            pytest.param(
                {"kind": "health", "schedule": {"timezone": "Mars/Olympus"}}, "time zone", id="tz"
            ),
            pytest.param(
                {"kind": "health", "trigger": {"mode": "interval"}}, "needs interval", id="interval"
            ),
            pytest.param({"kind": "health", "surprise": 1}, "Extra inputs", id="extra"),
        ],
    )
    def test_invalid(self, data: dict[str, Any], message: str) -> None:
        with pytest.raises(ValueError, match=message):
            rule_from_dict({"id": "x", **data})

    def test_round_trip(self) -> None:
        r = rule_from_dict(
            {"id": "x", "kind": "price_above", "symbol": "A", "threshold": "1.5", "for": "2m"}
        )
        assert rule_from_dict(rule_to_dict(r)) == r
        assert rule_to_dict(r)["for"] == 120

    @pytest.mark.parametrize(
        ("value", "seconds"),
        [("90s", 90), ("5m", 300), ("1h30m", 5400), ("2d", 172800), (15, 15), ("250ms", 0.25)],
    )
    def test_durations(self, value: str | int, seconds: float) -> None:
        assert parse_duration(value) == seconds

    @pytest.mark.parametrize("value", ["soon", "-5", "5 parsecs", True, ""])
    def test_bad_durations(self, value: object) -> None:
        with pytest.raises(ValueError, match="duration"):
            parse_duration(value)

    def test_schedule_spanning_midnight(self) -> None:
        s = Schedule(timezone="Asia/Tokyo", days=("mon",), start="22:00", end="02:00")  # type: ignore[arg-type]
        # Monday 23:00 JST and Tuesday 01:00 JST are in Monday's session; Tuesday 23:00 is not.
        assert s.active_at(datetime(2026, 1, 5, 14, 0, tzinfo=UTC))
        assert s.active_at(datetime(2026, 1, 5, 16, 0, tzinfo=UTC))
        assert not s.active_at(datetime(2026, 1, 6, 14, 0, tzinfo=UTC))

    @pytest.mark.parametrize(
        "data",
        [
            {"kind": "price_above", "symbol": "A", "threshold": 1},
            {"kind": "price_below", "symbol": "A", "threshold": 1},
            {"kind": "cross_down", "symbol": "A", "level": 1},
            {"kind": "channel_exit", "symbol": "A", "lower": 1, "upper": 2},
            {"kind": "move", "symbol": "A", "window": "5m", "percent": 2},
            {"kind": "volume_spike", "symbol": "A", "factor": 3},
            {"kind": "no_data", "symbol": "A", "period": 60},
            {"kind": "log_pattern", "pattern": "x"},
            {"kind": "log_frequency", "count": 5, "window": "1m"},
            {"kind": "new_template"},
            {"kind": "anomaly"},
            {"kind": "health", "check": "disk_space"},
        ],
    )
    def test_every_kind_explains_itself(self, data: dict[str, Any]) -> None:
        text = explain(rule_from_dict({"id": "x", **data}))
        assert "notifies" in text
