"""API keys from one place: environment/.env, a 0600 TOML secrets file, or Vault KV v2.

Keys are kept as :class:`pydantic.SecretStr`; what is logged or stored is a short hash
(``ApiKey.id``), never the key. Every loaded key is also registered with
:func:`redact`, which scrubs it from text (httpx's request log lines carry URLs, and
Alpha Vantage puts the key in the query string).
"""

from __future__ import annotations

import hashlib
import logging
import stat
import threading
import tomllib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from marketdata._exceptions import ConfigurationError, InsecureSecretsFileError
from marketdata._settings import KNOWN_PROVIDERS, MarketDataSettings

if TYPE_CHECKING:
    from collections.abc import Iterable
    from pathlib import Path

logger = logging.getLogger(__name__)

DEMO_KEY = "demo"
_SECRETS: set[str] = set()
_SECRETS_LOCK = threading.Lock()


@dataclass(frozen=True)
class ApiKey:
    """One provider key. ``id`` is a hash prefix that is safe to log and to store."""

    provider: str
    secret: SecretStr = field(repr=False)
    source: str = "env"

    @property
    def id(self) -> str:
        """A stable, non-reversible name for the key (12 hex digits of SHA-256)."""
        digest = hashlib.sha256(self.secret.get_secret_value().encode()).hexdigest()
        return digest[:12]

    @property
    def is_demo(self) -> bool:
        """Whether this is Alpha Vantage's public ``demo`` key (serves IBM only)."""
        return self.secret.get_secret_value() == DEMO_KEY


def register_secret(value: str) -> None:
    """Remember a secret so that :func:`redact` scrubs it.

    Args:
        value: The secret text (values shorter than 4 characters are ignored).
    """
    if len(value) >= 4 and value != DEMO_KEY:
        with _SECRETS_LOCK:
            _SECRETS.add(value)


def redact(text: str) -> str:
    """Replace every registered secret in ``text`` with ``***``.

    Args:
        text: Any text (a URL, a log message).

    Returns:
        The text without secrets.
    """
    with _SECRETS_LOCK:
        secrets = sorted(_SECRETS, key=len, reverse=True)
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, "***")
    return text


class RedactingFilter(logging.Filter):
    """A logging filter that scrubs registered secrets from a record's message and args."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record in place; never drops it.

        Args:
            record: The log record.

        Returns:
            Always True.
        """
        if _SECRETS:
            message = record.getMessage()
            cleaned = redact(message)
            if cleaned != message:
                record.msg = cleaned
                record.args = None
        return True


_FILTER = RedactingFilter()


def install_log_redaction() -> None:
    """Attach :class:`RedactingFilter` to the loggers that may print request URLs."""
    for name in ("httpx", "httpcore", "marketdata", "marketdata.websockets", "websockets"):
        log = logging.getLogger(name)
        if _FILTER not in log.filters:
            log.addFilter(_FILTER)


def _split(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, SecretStr):
        value = value.get_secret_value()
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list | tuple):
        out: list[str] = []
        for item in value:
            out.extend(_split(item))
        return out
    raise ConfigurationError(f"key values must be strings or lists, not {type(value).__name__}")


def _from_mapping(data: dict[str, Any], source: str) -> list[ApiKey]:
    """Keys from ``{provider: {api_key|api_keys}}`` or ``{provider_api_key: ...}``."""
    keys: list[ApiKey] = []
    for provider in KNOWN_PROVIDERS:
        values: list[str] = []
        section = data.get(provider)
        if isinstance(section, dict):
            values += _split(section.get("api_keys")) + _split(section.get("api_key"))
        for flat in (f"{provider}_api_key", f"{provider}_api_keys", f"{provider.upper()}_API_KEY"):
            values += _split(data.get(flat))
        keys += [ApiKey(provider, SecretStr(v), source) for v in values]
    return keys


def load_secrets_file(path: Path) -> list[ApiKey]:
    """Read keys from a TOML secrets file, refusing it unless only its owner can read it.

    Args:
        path: The file, e.g. ``~/.local/share/switchyard/secrets.toml``::

            [alphavantage]
            api_keys = ["KEY1", "KEY2"]
            [finnhub]
            api_key = "KEY3"

    Returns:
        The keys found.

    Raises:
        InsecureSecretsFileError: the file's mode grants group or other any access.
        ConfigurationError: the file cannot be read or is not TOML.
    """
    try:
        mode = path.stat().st_mode
    except OSError as exc:
        raise ConfigurationError(f"cannot read secrets file {path}: {exc.strerror}") from None
    if mode & (stat.S_IRWXG | stat.S_IRWXO):
        raise InsecureSecretsFileError(
            f"refusing secrets file {path}: mode {stat.S_IMODE(mode):04o}, run `chmod 600 {path}`"
        )
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigurationError(f"cannot read secrets file {path}: {exc}") from None
    except tomllib.TOMLDecodeError as exc:
        # the decoder's message quotes no values, only positions
        raise ConfigurationError(f"secrets file {path} is not valid TOML: {exc}") from None
    return _from_mapping(data, "secrets-file")


def load_vault(
    addr: str,
    token: SecretStr,
    path: str,
    *,
    timeout: float = 5.0,
    transport: httpx.BaseTransport | None = None,
) -> list[ApiKey]:
    """Read keys from a HashiCorp Vault KV version 2 secret.

    Args:
        addr: ``VAULT_ADDR``, e.g. ``http://127.0.0.1:8200``.
        token: ``VAULT_TOKEN``.
        path: ``<mount>/<secret path>``, e.g. ``secret/switchyard`` (read through the API
            as ``GET /v1/secret/data/switchyard``).
        timeout: Seconds for the request.
        transport: An httpx transport (tests).

    Returns:
        The keys in the secret's data (``alphavantage_api_key``, ``finnhub_api_key``; values
        comma-separated strings or lists).

    Raises:
        ConfigurationError: Vault is unreachable, refuses the token, or has no such secret.
    """
    mount, _, rest = path.strip("/").partition("/")
    if not mount or not rest:
        raise ConfigurationError(f"SWITCHYARD_VAULT_PATH must be <mount>/<path>, got {path!r}")
    if rest.startswith("data/"):
        rest = rest[len("data/") :]
    url = f"{addr.rstrip('/')}/v1/{mount}/data/{rest}"
    headers = {"X-Vault-Token": token.get_secret_value(), "Accept": "application/json"}
    try:
        with httpx.Client(timeout=timeout, transport=transport) as client:
            response = client.get(url, headers=headers)
    except (httpx.HTTPError, httpx.InvalidURL) as exc:
        raise ConfigurationError(f"vault at {addr} unreachable: {type(exc).__name__}") from None
    if response.status_code == 403:
        raise ConfigurationError("vault refused the token (403 permission denied)")
    if response.status_code == 404:
        raise ConfigurationError(f"vault has no secret at {mount}/{rest}")
    if response.status_code != 200:
        raise ConfigurationError(f"vault answered HTTP {response.status_code}")
    try:
        data = response.json()["data"]["data"]
    except (ValueError, KeyError, TypeError):
        raise ConfigurationError("vault answer is not a KV v2 secret") from None
    if not isinstance(data, dict):
        raise ConfigurationError("vault secret data is not an object")
    return _from_mapping(data, "vault")


def load_keys(settings: MarketDataSettings) -> dict[str, list[ApiKey]]:
    """Collect every configured key per provider, in source order env → file → Vault.

    Alpha Vantage gets its public ``demo`` key when none is configured.

    Args:
        settings: The settings.

    Returns:
        ``{provider: [keys]}`` for every known provider (Finnhub may be empty).

    Raises:
        ConfigurationError: a configured source is unusable.
    """
    found: list[ApiKey] = []
    found += [ApiKey("alphavantage", SecretStr(v)) for v in _split(settings.alphavantage_api_key)]
    found += [ApiKey("finnhub", SecretStr(v)) for v in _split(settings.finnhub_api_key)]
    secrets_file = settings.secrets_file
    if secrets_file is None and (settings.home_dir / "secrets.toml").is_file():
        secrets_file = settings.home_dir / "secrets.toml"
    if secrets_file is not None:
        found += load_secrets_file(secrets_file.expanduser())
    if settings.vault_addr and settings.vault_path:
        if settings.vault_token is None:
            raise ConfigurationError("VAULT_ADDR is set but VAULT_TOKEN is not")
        found += load_vault(
            settings.vault_addr, settings.vault_token, settings.vault_path, timeout=settings.timeout
        )
    return build_keyring(found)


def build_keyring(keys: Iterable[ApiKey]) -> dict[str, list[ApiKey]]:
    """Group keys by provider, drop duplicates, add the demo key when needed.

    Args:
        keys: Keys in priority order.

    Returns:
        ``{provider: [keys]}``.
    """
    ring: dict[str, list[ApiKey]] = {name: [] for name in KNOWN_PROVIDERS}
    seen: set[tuple[str, str]] = set()
    for key in keys:
        value = key.secret.get_secret_value()
        if (key.provider, value) in seen:
            continue
        seen.add((key.provider, value))
        register_secret(value)
        ring.setdefault(key.provider, []).append(key)
    if not ring["alphavantage"]:
        ring["alphavantage"].append(ApiKey("alphavantage", SecretStr(DEMO_KEY), "demo"))
    install_log_redaction()
    logger.debug(
        "marketdata keys loaded",
        extra={"keys": {name: [k.id for k in ks] for name, ks in ring.items()}},
    )
    return ring
