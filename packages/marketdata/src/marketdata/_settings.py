"""Settings: environment first, then a ``.env`` file, then defaults (ARCHITECTURE §3)."""

from __future__ import annotations

from pathlib import Path

from pydantic import AliasChoices, Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["MarketDataSettings"]

KNOWN_PROVIDERS = ("finnhub", "alphavantage")


def _alias(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class MarketDataSettings(BaseSettings):
    """Everything ``marketdata`` can be told, with safe defaults.

    Field names work as keyword arguments; environment variables are the names in
    ARCHITECTURE §3 (``ALPHAVANTAGE_API_KEY``, ``SWITCHYARD_STATE_URL`` ...) or
    ``MARKETDATA_<FIELD>`` for the package's own knobs (``MARKETDATA_TTL_QUOTE=30``).
    """

    model_config = SettingsConfigDict(
        env_prefix="MARKETDATA_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        populate_by_name=True,
        frozen=True,
    )

    home: Path = Field(
        default=Path("~/.local/share/switchyard"), validation_alias=_alias("SWITCHYARD_HOME")
    )
    state_url: str | None = Field(default=None, validation_alias=_alias("SWITCHYARD_STATE_URL"))
    alphavantage_api_key: SecretStr | None = Field(
        default=None, validation_alias=_alias("ALPHAVANTAGE_API_KEY")
    )
    finnhub_api_key: SecretStr | None = Field(
        default=None, validation_alias=_alias("FINNHUB_API_KEY")
    )
    secrets_file: Path | None = Field(
        default=None, validation_alias=_alias("SWITCHYARD_SECRETS_FILE")
    )
    vault_addr: str | None = Field(default=None, validation_alias=_alias("VAULT_ADDR"))
    vault_token: SecretStr | None = Field(default=None, validation_alias=_alias("VAULT_TOKEN"))
    vault_path: str | None = Field(default=None, validation_alias=_alias("SWITCHYARD_VAULT_PATH"))

    alphavantage_url: str = "https://www.alphavantage.co"
    finnhub_url: str = "https://finnhub.io/api/v1"
    finnhub_ws_url: str = "wss://ws.finnhub.io"
    providers: str = Field(
        default="finnhub,alphavantage",
        description="provider order, comma-separated; providers without a key are skipped "
        "(Alpha Vantage falls back to its demo key)",
    )

    namespace: str = Field(
        default="marketdata",
        pattern=r"^[A-Za-z0-9_.-]{1,64}$",
        description="prefix of every state-store key (separate environments sharing a store)",
    )
    timeout: float = Field(default=5.0, gt=0, description="seconds per upstream request")
    retries: int = Field(default=3, ge=1, le=10, description="attempts per provider and key")
    retry_wait: float = Field(default=0.2, ge=0, description="first backoff, seconds")
    max_wait: float = Field(
        default=0.0, ge=0, description="seconds a call may wait for a rate budget to refill"
    )
    coalesce_timeout: float = Field(
        default=60.0, gt=0, description="seconds a caller waits for another process's fetch"
    )

    ttl_quote: float = Field(default=15.0, gt=0, description="quote freshness, market open")
    ttl_quote_closed: float = Field(default=300.0, gt=0, description="quote freshness, closed")
    ttl_intraday: float | None = Field(default=None, description="default: the bar interval")
    ttl_news: float = Field(default=300.0, gt=0)
    ttl_profile: float = Field(default=86_400.0, gt=0)
    ttl_search: float = Field(default=86_400.0, gt=0)
    ttl_unknown: float = Field(default=600.0, ge=0, description="negative cache of unknowns")
    stale_ttl: float = Field(default=7 * 86_400.0, gt=0, description="keep for stale-on-error")
    l1_size: int = Field(default=4096, ge=1)

    alphavantage_per_day: int = Field(default=25, ge=1)
    alphavantage_per_minute: int = Field(default=5, ge=1)
    finnhub_per_minute: int = Field(default=60, ge=1)
    finnhub_per_second: int = Field(default=30, ge=1)
    key_rest: float = Field(default=60.0, ge=0, description="seconds a limited key rests")
    limit_slack: float = Field(
        default=0.25,
        ge=0,
        le=10,
        description="seconds added to every rate window: a call is counted when it is "
        "taken, the provider counts it when it arrives (after connecting), and the first "
        "calls of a burst arrive later than the next ones",
    )

    @field_validator("providers")
    @classmethod
    def _known_providers(cls, value: str) -> str:
        names = [name.strip().lower() for name in value.split(",") if name.strip()]
        unknown = sorted(set(names) - set(KNOWN_PROVIDERS))
        if unknown or not names:
            raise ValueError(f"unknown providers {unknown}; known: {list(KNOWN_PROVIDERS)}")
        return ",".join(names)

    @property
    def provider_order(self) -> list[str]:
        """Provider names in the configured order."""
        return self.providers.split(",")

    @property
    def home_dir(self) -> Path:
        """``SWITCHYARD_HOME`` with ``~`` expanded."""
        return self.home.expanduser()
