"""Settings of logkit (pydantic-settings: environment, then ``.env``, then defaults)."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import AliasChoices, Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


def default_home() -> Path:
    """``SWITCHYARD_HOME`` or ``~/.local/share/switchyard``."""
    return LogkitSettings().home


class LogkitSettings(BaseSettings):
    """Everything logkit reads from the environment.

    Variables: ``LOGKIT_LEVEL``, ``LOGKIT_FORMAT`` (``json``/``console``/``auto``),
    ``LOGKIT_FILE`` (a log file; none by default), ``LOGKIT_MAX_BYTES``, ``LOGKIT_BACKUPS``,
    ``SWITCHYARD_HOME``, and for the explainer ``LOGKIT_LLM_URL``, ``LOGKIT_LLM_MODEL``,
    ``LOGKIT_LLM_API_KEY`` (or ``OPENAI_API_KEY``), ``LOGKIT_LLM_TIMEOUT``.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    level: str = Field("INFO", validation_alias=AliasChoices("LOGKIT_LEVEL", "level"))
    format: Literal["json", "console", "auto"] = Field(
        "auto", validation_alias=AliasChoices("LOGKIT_FORMAT", "format")
    )
    file: Path | None = Field(None, validation_alias=AliasChoices("LOGKIT_FILE", "file"))
    max_bytes: int = Field(
        10 * 1024 * 1024, ge=0, validation_alias=AliasChoices("LOGKIT_MAX_BYTES", "max_bytes")
    )
    backups: int = Field(5, ge=1, validation_alias=AliasChoices("LOGKIT_BACKUPS", "backups"))
    home: Path = Field(
        Path("~/.local/share/switchyard").expanduser(),
        validation_alias=AliasChoices("SWITCHYARD_HOME", "home"),
    )
    llm_url: str | None = Field(None, validation_alias=AliasChoices("LOGKIT_LLM_URL", "llm_url"))
    llm_model: str = Field(
        "gpt-4o-mini", validation_alias=AliasChoices("LOGKIT_LLM_MODEL", "llm_model")
    )
    llm_api_key: SecretStr | None = Field(
        None, validation_alias=AliasChoices("LOGKIT_LLM_API_KEY", "OPENAI_API_KEY", "llm_api_key")
    )
    llm_timeout: float = Field(
        20.0, gt=0, le=300, validation_alias=AliasChoices("LOGKIT_LLM_TIMEOUT", "llm_timeout")
    )
