"""Settings from the environment: SWITCHYARD_STATE_URL and SWITCHYARD_HOME (ARCHITECTURE §3)."""

from __future__ import annotations

from pathlib import Path

from pydantic import SecretStr  # noqa: TC002 - pydantic reads it at runtime
from pydantic_settings import BaseSettings, SettingsConfigDict


class StateSettings(BaseSettings):
    """Where the shared state lives (env, then ``.env``, then defaults; ARCHITECTURE §3).

    Attributes:
        switchyard_home: the data folder (``SWITCHYARD_HOME``); SQLite state is in
            ``<home>/state``.
        switchyard_state_url: ``sqlite:///abs/path`` or ``redis://host:port/db``
            (``SWITCHYARD_STATE_URL``); a secret because a Redis URL may carry a password.
    """

    model_config = SettingsConfigDict(env_file=".env", extra="ignore")

    switchyard_home: Path = Path("~/.local/share/switchyard")
    switchyard_state_url: SecretStr | None = None

    def state_url(self) -> str:
        """Return the configured URL, or the default SQLite URL under ``SWITCHYARD_HOME``."""
        if self.switchyard_state_url is not None and self.switchyard_state_url.get_secret_value():
            return self.switchyard_state_url.get_secret_value().strip()
        home = self.switchyard_home.expanduser().resolve()
        return f"sqlite://{home / 'state'}"
