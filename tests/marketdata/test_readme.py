"""The README's quick start runs as written, against the emulators."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from marketdata.testing import ProviderEmulators
from tests.conftest import REPO_ROOT

if TYPE_CHECKING:
    from pathlib import Path

    import pytest

README = REPO_ROOT / "packages" / "marketdata" / "README.md"


def test_quick_start_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    text = README.read_text(encoding="utf-8")
    quick_start = text.split("## Quick start", 1)[1]
    code = re.search(r"```python\n(.*?)```", quick_start, re.DOTALL)
    assert code is not None
    with ProviderEmulators(websocket=False) as emu:
        for name, value in emu.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
        monkeypatch.setenv("FINNHUB_API_KEY", "FHREADMEKEY")
        monkeypatch.chdir(tmp_path)
        exec(compile(code.group(1), str(README), "exec"), {})  # noqa: S102 - our own README
    out = capsys.readouterr().out
    assert out.startswith("IBM ")
    assert "['IBM', 'MSFT'] {'INVALID': 'UnknownSymbolError'}" in out
