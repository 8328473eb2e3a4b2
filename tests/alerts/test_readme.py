"""The rules shown in the package README are valid as written."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING

from alerts import explain, parse_rules

if TYPE_CHECKING:
    import pytest

README = Path(__file__).resolve().parents[2] / "packages" / "alerts" / "README.md"


def test_quick_start_rules_are_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    match = re.search(r"cat > rules.toml <<'EOF'\n(.*?)\nEOF", text, re.S)
    assert match
    monkeypatch.setenv("ALERTS_WEBHOOK_SECRET", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
    monkeypatch.setenv("TELEGRAM_BOT_TOKEN", "123:abc")
    document = parse_rules(match.group(1))
    assert [r.id for r in document.rules] == ["ibm-150"]
    assert "crosses up through 150" in explain(document.rules[0])


def test_actions_example_is_valid(monkeypatch: pytest.MonkeyPatch) -> None:
    text = README.read_text(encoding="utf-8")
    block = next(b for b in re.findall(r"```toml\n(.*?)```", text, re.S) if "[actions." in b)
    monkeypatch.setenv("SWITCHYARD_WP_SECRET", "s3cret")
    rule = '\n[[rules]]\nid = "r"\nkind = "health"\nactions = ["flush", "clear-quotes"]\n'
    document = parse_rules(block + rule)
    assert sorted(document.actions) == ["clear-quotes", "flush"]
