"""Settings of the alerts service (pydantic-settings: environment, then .env, then defaults)."""

from __future__ import annotations

from pathlib import Path  # noqa: TC003 - pydantic needs it at runtime

from pydantic_settings import BaseSettings, SettingsConfigDict


class AlertsSettings(BaseSettings):
    """``ALERTS_*`` variables; the store comes from ``SWITCHYARD_STATE_URL`` (statestore).

    Attributes:
        rules: default rules file for ``alerts run`` / ``alerts test`` (``ALERTS_RULES``).
        engine_name: name of this engine's saved state (``ALERTS_ENGINE_NAME``).
        dry_run_actions: never execute actions, only audit them (``ALERTS_DRY_RUN_ACTIONS``).
    """

    model_config = SettingsConfigDict(env_prefix="ALERTS_", env_file=".env", extra="ignore")

    rules: Path | None = None
    engine_name: str = "default"
    dry_run_actions: bool = False
