"""Keys from env, .env, a 0600 TOML file and Vault KV v2; never leaked anywhere."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from typer.testing import CliRunner

from marketdata import (
    ConfigurationError,
    InsecureSecretsFileError,
    MarketData,
    MarketDataError,
    MarketDataSettings,
    load_keys,
)
from marketdata._keys import ApiKey, load_vault, redact
from marketdata.cli import app
from marketdata.testing import Fault, ProviderEmulators
from tests.marketdata.vault import VaultServer

if TYPE_CHECKING:
    from pathlib import Path

    from statestore import StateStore

AV_SECRET = "AVSECRETq8w7e6r5"
AV_SECRET_2 = "AVSECRETz1x2c3v4"
FH_SECRET = "FHSECRETm9n8b7v6"
VAULT_TOKEN = "hvs.TESTTOKENa1b2c3"


def names(ring: dict[str, list[ApiKey]], provider: str) -> list[str]:
    return [k.secret.get_secret_value() for k in ring[provider]]


def bare_settings(tmp_path: Path, **values: Any) -> MarketDataSettings:
    return MarketDataSettings(_env_file=None, home=tmp_path, **values)


class TestSources:
    def test_env_with_several_keys(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ALPHAVANTAGE_API_KEY", f"{AV_SECRET}, {AV_SECRET_2}")
        monkeypatch.setenv("FINNHUB_API_KEY", FH_SECRET)
        ring = load_keys(bare_settings(tmp_path))
        assert names(ring, "alphavantage") == [AV_SECRET, AV_SECRET_2]
        assert names(ring, "finnhub") == [FH_SECRET]

    def test_dotenv_file(self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
        (tmp_path / ".env").write_text(f"FINNHUB_API_KEY={FH_SECRET}\n")
        monkeypatch.chdir(tmp_path)
        ring = load_keys(MarketDataSettings(home=tmp_path))
        assert names(ring, "finnhub") == [FH_SECRET]

    def test_demo_key_when_nothing_is_configured(self, tmp_path: Path) -> None:
        ring = load_keys(bare_settings(tmp_path))
        assert [k.is_demo for k in ring["alphavantage"]] == [True]
        assert ring["finnhub"] == []

    def test_secrets_file_0600(self, tmp_path: Path) -> None:
        path = tmp_path / "secrets.toml"
        path.write_text(
            f'[alphavantage]\napi_keys = ["{AV_SECRET}", "{AV_SECRET_2}"]\n'
            f'[finnhub]\napi_key = "{FH_SECRET}"\n'
        )
        path.chmod(0o600)
        ring = load_keys(bare_settings(tmp_path))  # found under SWITCHYARD_HOME
        assert names(ring, "alphavantage") == [AV_SECRET, AV_SECRET_2]
        assert names(ring, "finnhub") == [FH_SECRET]
        assert ring["finnhub"][0].source == "secrets-file"

    @pytest.mark.parametrize("mode", [0o644, 0o640, 0o604, 0o660])
    def test_secrets_file_readable_by_others_is_refused(self, tmp_path: Path, mode: int) -> None:
        path = tmp_path / "keys.toml"
        path.write_text(f'[finnhub]\napi_key = "{FH_SECRET}"\n')
        path.chmod(mode)
        with pytest.raises(InsecureSecretsFileError) as info:
            load_keys(bare_settings(tmp_path, secrets_file=path))
        assert isinstance(info.value, PermissionError)
        assert "chmod 600" in str(info.value)

    def test_broken_toml_does_not_echo_values(self, tmp_path: Path) -> None:
        path = tmp_path / "keys.toml"
        path.write_text(f'[finnhub]\napi_key = "{FH_SECRET}\n')
        path.chmod(0o600)
        with pytest.raises(ConfigurationError) as info:
            load_keys(bare_settings(tmp_path, secrets_file=path))
        assert FH_SECRET not in str(info.value)


class TestVault:
    def test_reads_kv_v2_secret(self, tmp_path: Path) -> None:
        with VaultServer(VAULT_TOKEN) as vault:
            # write through the real API, as an operator would with `vault kv put`
            httpx.post(
                f"{vault.url}/v1/secret/data/switchyard/marketdata",
                headers={"X-Vault-Token": VAULT_TOKEN},
                json={"data": {"alphavantage_api_key": f"{AV_SECRET},{AV_SECRET_2}"}},
            ).raise_for_status()
            httpx.post(
                f"{vault.url}/v1/secret/data/switchyard/marketdata",
                headers={"X-Vault-Token": VAULT_TOKEN},
                json={"data": {"finnhub_api_key": [FH_SECRET], "alphavantage_api_key": AV_SECRET}},
            ).raise_for_status()
            ring = load_keys(
                bare_settings(
                    tmp_path,
                    vault_addr=vault.url,
                    vault_token=VAULT_TOKEN,
                    vault_path="secret/switchyard/marketdata",
                )
            )
        assert names(ring, "alphavantage") == [AV_SECRET]  # the latest version wins
        assert names(ring, "finnhub") == [FH_SECRET]
        assert ring["finnhub"][0].source == "vault"

    @pytest.mark.parametrize(
        ("token", "path", "message"),
        [
            ("wrong-token", "secret/switchyard", "refused the token"),
            (VAULT_TOKEN, "secret/missing", "no secret"),
            (VAULT_TOKEN, "secret", "<mount>/<path>"),
        ],
    )
    def test_errors_are_configuration_errors(self, token: str, path: str, message: str) -> None:
        with (
            VaultServer(VAULT_TOKEN) as vault,
            pytest.raises(ConfigurationError, match=message) as info,
        ):
            load_vault(vault.url, _secret(token), path)
        assert token not in str(info.value)

    def test_unreachable_vault(self) -> None:
        with VaultServer(VAULT_TOKEN) as vault:
            url = vault.url
        with pytest.raises(ConfigurationError, match="unreachable"):
            load_vault(url, _secret(VAULT_TOKEN), "secret/x", timeout=1)


def _secret(value: str) -> Any:
    from pydantic import SecretStr

    return SecretStr(value)


class TestNeverLeaked:
    def test_keys_appear_in_no_output_log_repr_or_error(
        self,
        tmp_path: Path,
        store: StateStore,
        caplog: pytest.LogCaptureFixture,
        capfd: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch,
    ) -> None:
        caplog.set_level(logging.DEBUG)
        seen: list[str] = []
        with ProviderEmulators(websocket=False, keys={AV_SECRET, AV_SECRET_2, FH_SECRET}) as emu:
            env = {
                **emu.env,
                "ALPHAVANTAGE_API_KEY": f"{AV_SECRET},{AV_SECRET_2}",
                "FINNHUB_API_KEY": FH_SECRET,
                "SWITCHYARD_HOME": str(tmp_path),
                "MARKETDATA_RETRY_WAIT": "0",
                "MARKETDATA_TIMEOUT": "1",
            }
            for name, value in env.items():
                monkeypatch.setenv(name, value)
            emu.finnhub.inject(Fault.http(401), Fault.rate_limited(2), Fault.reset())
            emu.alphavantage.inject(Fault.note(), Fault.information(), Fault.malformed())
            settings = MarketDataSettings(namespace="leaktest")
            seen += [repr(settings), str(settings), settings.model_dump_json()]
            with MarketData(settings, store=store) as md:
                seen.append(repr(md))
                for symbol in ("IBM", "MSFT", "AAPL", "ZZZZ", "VOD.L"):
                    try:
                        seen.append(md.quote(symbol).model_dump_json())
                    except MarketDataError as exc:
                        seen += [str(exc), repr(exc)]
                seen.append(repr(load_keys(settings)))
                seen.append(str(md.stats()))
            result = CliRunner().invoke(app, ["quote", "IBM", "ZZZY", "--json"])
            seen.append(result.output)
            result = CliRunner().invoke(app, ["stats"])
            seen.append(result.output)
        captured = capfd.readouterr()
        seen += [captured.out, captured.err, caplog.text]
        seen += [repr(record.__dict__) for record in caplog.records]
        everything = "\n".join(seen)
        assert "marketdata upstream call" in everything  # the logs were captured
        assert emu.alphavantage.calls >= 3
        for secret in (AV_SECRET, AV_SECRET_2, FH_SECRET):
            assert secret not in everything

    def test_redact_scrubs_registered_keys(self) -> None:
        load_keys(MarketDataSettings(_env_file=None, alphavantage_api_key=_secret(AV_SECRET)))
        assert redact(f"GET /query?apikey={AV_SECRET}&x=1") == "GET /query?apikey=***&x=1"


def test_malformed_vault_address(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="unreachable"):
        load_vault("http://[::1", _secret(VAULT_TOKEN), "secret/x", timeout=1)
