"""The command line against the emulators: tables, --json, exit codes."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
from typer.testing import CliRunner

from marketdata.cli import app
from marketdata.testing import Fault, ProviderEmulators

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

runner = CliRunner()


@pytest.fixture
def emu(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ProviderEmulators]:
    with ProviderEmulators(websocket=False) as emulators:
        for name, value in emulators.env.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("SWITCHYARD_HOME", str(tmp_path))
        monkeypatch.setenv("FINNHUB_API_KEY", "FHCLIKEY01")
        monkeypatch.setenv("ALPHAVANTAGE_API_KEY", "AVCLIKEY01")
        monkeypatch.setenv("MARKETDATA_RETRY_WAIT", "0")
        monkeypatch.chdir(tmp_path)
        yield emulators


def test_quote_table(emu: ProviderEmulators) -> None:
    result = runner.invoke(app, ["quote", "IBM", "MSFT"])
    assert result.exit_code == 0, result.output
    assert "IBM" in result.output
    assert "MSFT" in result.output
    assert "finnhub" in result.output


def test_quote_json_with_a_failure_exits_1(emu: ProviderEmulators) -> None:
    result = runner.invoke(app, ["quote", "ibm", "ZZZX", "--json"])
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert [q["symbol"] for q in data["quotes"]] == ["IBM"]
    assert data["errors"]["ZZZX"]["code"] == "unknown_symbol"
    assert isinstance(data["quotes"][0]["price"], str)  # decimals as strings


@pytest.mark.parametrize(
    ("args", "code"),
    [
        (["quote", "ZZZX"], 3),
        (["history", "IBM", "--interval", "7d"], 2),
        (["history", "IBM", "--start", "2024-13-01"], 2),
        (["history", "IBM", "--start", "2024-02-01", "--end", "2024-01-01"], 2),
        (["quote", "not a symbol"], 2),
        (["profile", "ZZZX"], 3),
    ],
)
def test_exit_codes(emu: ProviderEmulators, args: list[str], code: int) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output


def test_provider_outage_exits_5(emu: ProviderEmulators) -> None:
    emu.finnhub.inject(Fault.http(500), times=10)
    emu.alphavantage.inject(Fault.http(503), times=10)
    result = runner.invoke(app, ["profile", "IBM"])
    assert result.exit_code == 5
    assert "no provider could answer" in result.output


def test_rate_limited_exits_4(emu: ProviderEmulators, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MARKETDATA_PROVIDERS", "finnhub")
    emu.finnhub.inject(Fault.rate_limited(retry_after=9))
    result = runner.invoke(app, ["quote", "AAPL"])
    assert result.exit_code == 4
    assert "retry after" in result.output


def test_insecure_secrets_file_exits_6(
    emu: ProviderEmulators, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secrets = tmp_path / "s.toml"
    secrets.write_text('[finnhub]\napi_key = "x1234567"\n')
    secrets.chmod(0o644)
    monkeypatch.setenv("SWITCHYARD_SECRETS_FILE", str(secrets))
    result = runner.invoke(app, ["quote", "IBM"])
    assert result.exit_code == 6
    assert "chmod 600" in result.output


def test_history_news_search_profile_json(emu: ProviderEmulators) -> None:
    history = runner.invoke(app, ["history", "IBM", "--interval", "1d", "--json"])
    assert history.exit_code == 0, history.output
    assert json.loads(history.stdout)["bars"]
    week = runner.invoke(app, ["history", "MSFT", "--range", "5d", "--json"])
    assert week.exit_code == 0, week.output
    assert 1 <= len(json.loads(week.stdout)["bars"]) <= 5
    news = json.loads(runner.invoke(app, ["news", "IBM", "--limit", "2", "--json"]).stdout)
    assert len(news["items"]) == 2
    market = runner.invoke(app, ["news"])
    assert market.exit_code == 0
    matches = json.loads(runner.invoke(app, ["search", "tesco", "--json"]).stdout)
    assert matches["matches"][0]["symbol"] == "TSCO.L"
    profile = json.loads(runner.invoke(app, ["profile", "AAPL", "--json"]).stdout)
    assert profile["name"] == "Apple Inc"


def test_stats_counts_across_invocations(emu: ProviderEmulators) -> None:
    assert runner.invoke(app, ["quote", "IBM"]).exit_code == 0
    assert runner.invoke(app, ["quote", "IBM"]).exit_code == 0  # L2 hit in a new client
    data = json.loads(runner.invoke(app, ["stats", "--json"]).stdout)
    assert data["totals"]["upstream:finnhub"] == 1
    assert data["totals"]["hits_l2"] == 1
    finnhub = [row for row in data["limits"] if row["provider"] == "finnhub"]
    assert {row["remaining"] for row in finnhub if row["window"] == 60.0} == {59}
    table = runner.invoke(app, ["stats"])
    assert "Rate budgets" in table.output


def test_history_table_keeps_dates_and_volumes_whole_in_80_columns(
    emu: ProviderEmulators, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("COLUMNS", "80")
    args = ["history", "IBM", "--interval", "1d", "--start", "2024-01-02", "--end", "2024-01-05"]
    for extra in ([], ["--adjusted"]):
        result = runner.invoke(app, [*args, *extra])
        assert result.exit_code == 0, result.output
        assert "2024-01-02" in result.output
        assert "…" not in result.output
        assert ("adj" in result.output) == bool(extra)  # the column only when it has data
