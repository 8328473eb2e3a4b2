"""The bridge's configuration: one `Settings` object that refuses unsafe values at start-up."""

from __future__ import annotations

import ipaddress
import os
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AliasChoices, Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PORT = 8765
MIN_TOKEN_LENGTH = 16


def default_home() -> Path:
    """The data folder: ``SWITCHYARD_HOME`` or ``~/.local/share/switchyard``."""
    return Path("~/.local/share/switchyard").expanduser()


def is_loopback(host: str) -> bool:
    """Whether ``host`` names a loopback interface only (``127.0.0.0/8``, ``::1``, ``localhost``).

    Args:
        host: an IP address or host name.

    Returns:
        True for loopback addresses and ``localhost``; False for anything else, names included,
        because a name may resolve to a public interface.
    """
    if host.lower() in {"localhost", "localhost."}:
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class Settings(BaseSettings):
    """Where the bridge listens, how it authenticates callers and where it keeps state.

    Read from the environment, then a ``.env`` file, then these defaults (ARCHITECTURE §3).

    Raises:
        pydantic.ValidationError: at construction when a value is unsafe: a non-loopback host
            without an explicit ``BRIDGE_TOKEN``, a token shorter than 16 characters, a port
            out of range or a worker count below one. The message says why.
    """

    model_config = SettingsConfigDict(
        env_prefix="BRIDGE_",
        env_file=".env",
        env_file_encoding="utf-8",
        extra="ignore",
        # Field names work as keyword arguments only: an environment variable named `home`
        # (or `HOME`: matching is case-insensitive) must never be read as SWITCHYARD_HOME.
        populate_by_name=True,
        validate_default=True,
    )

    host: str = Field("127.0.0.1", description="Address to listen on (BRIDGE_HOST).")
    port: Annotated[int, Field(ge=0, le=65535)] = DEFAULT_PORT
    uds: Path | None = Field(None, description="Unix socket path; replaces host and port.")
    token: SecretStr | None = Field(
        None, description="Bearer token; generated into a 0600 file under home when unset."
    )
    workers: Annotated[int, Field(ge=1, le=64)] = 1
    home: Path = Field(
        default_factory=default_home,
        validation_alias=AliasChoices("SWITCHYARD_HOME"),
    )
    state_url: SecretStr | None = Field(
        None,
        validation_alias=AliasChoices("SWITCHYARD_STATE_URL"),
        description="Shared state backend; SQLite under home when unset.",
    )
    max_body_bytes: Annotated[int, Field(ge=1024)] = 1024 * 1024
    max_convert_bytes: Annotated[int, Field(ge=1024)] = 64 * 1024 * 1024
    log_queue_size: Annotated[int, Field(ge=1)] = 10_000
    log_events_level: Literal["debug", "info", "notice", "warning", "error", "critical"] = "info"
    stream_rule_symbols: bool = Field(
        True, description="Stream Finnhub trades of the symbols price rules name (needs a key)."
    )
    alerts_rules: Path | None = Field(
        None,
        validation_alias=AliasChoices("ALERTS_RULES"),
        description="Rules file with the channels and actions alert rules may name.",
    )
    alerts_dry_run_actions: bool = Field(
        False, validation_alias=AliasChoices("ALERTS_DRY_RUN_ACTIONS")
    )
    log_level: str = "info"
    json_logs: bool = False

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("token", mode="after")
    @classmethod
    def _token_is_strong(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"BRIDGE_TOKEN is shorter than {MIN_TOKEN_LENGTH} characters; "
                "use a long random value (`python -c 'import secrets; "
                "print(secrets.token_urlsafe(32))'`) or unset it to have one generated"
            )
        return value

    @model_validator(mode="after")
    def _refuse_public_without_token(self) -> Settings:
        if self.uds is None and not is_loopback(self.host) and self.token is None:
            raise ValueError(
                f"refusing to listen on {self.host!r} without an explicit BRIDGE_TOKEN: "
                "a non-loopback address is reachable from other machines, and a token "
                "generated into a local file is meant for loopback callers only. "
                "Set BRIDGE_TOKEN, or listen on 127.0.0.1 / a unix socket (BRIDGE_UDS)"
            )
        return self

    @property
    def token_file(self) -> Path:
        """The 0600 file that holds the generated bearer token."""
        return self.home / "bridge" / "token"

    @property
    def run_dir(self) -> Path:
        """Runtime files of this bridge (metrics of its workers)."""
        return self.home / "bridge" / "run"

    @property
    def base_url(self) -> str:
        """The URL callers use: ``http://host:port``, or ``unix:///abs/path.sock``.

        The unix form is what the PHP client (``bridge/php``) takes for a socket.
        """
        if self.uds is not None:
            return f"unix://{self.uds.expanduser().resolve()}"
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    def environ(self) -> dict[str, str]:
        """These settings as environment variables, for worker processes to read back.

        The token is included only when it was given explicitly; generated tokens stay in
        their file, which every worker reads.
        """
        env = {
            "BRIDGE_HOST": self.host,
            "BRIDGE_PORT": str(self.port),
            "BRIDGE_WORKERS": str(self.workers),
            "SWITCHYARD_HOME": os.fspath(self.home),
            "BRIDGE_MAX_BODY_BYTES": str(self.max_body_bytes),
            "BRIDGE_MAX_CONVERT_BYTES": str(self.max_convert_bytes),
            "BRIDGE_LOG_LEVEL": self.log_level,
            "BRIDGE_JSON_LOGS": "1" if self.json_logs else "0",
            "BRIDGE_LOG_QUEUE_SIZE": str(self.log_queue_size),
            "BRIDGE_LOG_EVENTS_LEVEL": self.log_events_level,
            "BRIDGE_STREAM_RULE_SYMBOLS": "1" if self.stream_rule_symbols else "0",
            "ALERTS_DRY_RUN_ACTIONS": "1" if self.alerts_dry_run_actions else "0",
        }
        if self.alerts_rules is not None:
            env["ALERTS_RULES"] = os.fspath(self.alerts_rules.resolve())
        if self.uds is not None:
            env["BRIDGE_UDS"] = os.fspath(self.uds)
        if self.state_url is not None:
            env["SWITCHYARD_STATE_URL"] = self.state_url.get_secret_value()
        if self.token is not None:
            env["BRIDGE_TOKEN"] = self.token.get_secret_value()
        return env
