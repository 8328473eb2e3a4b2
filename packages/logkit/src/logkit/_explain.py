"""Optional explainer: asks an OpenAI-compatible chat-completions endpoint about an anomaly.

Off unless ``LOGKIT_LLM_URL`` is set.  Everything sent is redacted first (registered secrets,
keys in URLs, tokens, passwords); the request has a bounded timeout; failures raise
:class:`~logkit.ExplainerError` and never leak the key.
"""

from __future__ import annotations

import json
import logging
import os
import re
import stat
import tomllib
from pathlib import Path
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import BaseModel, SecretStr

from logkit._exceptions import ExplainerDisabledError, ExplainerError
from logkit._redact import redact, redact_value
from logkit._settings import LogkitSettings

if TYPE_CHECKING:
    from logkit._anomaly import Anomaly

_log = logging.getLogger(__name__)
_SYSTEM = (
    "You are an experienced site reliability engineer for a WordPress and PHP site with a "
    "Python backend. Given an anomaly found in its logs, answer with a JSON object with two "
    'string fields: "probable_cause" (one or two sentences) and "suggested_action" (one or two '
    "concrete steps). Answer with the JSON object only."
)
_JSON_OBJECT = re.compile(r"\{.*\}", re.DOTALL)


class Explanation(BaseModel):
    """What the model made of an anomaly."""

    probable_cause: str
    suggested_action: str
    model: str


class Explainer:
    """Explains anomalies with a chat-completions endpoint.

    Args:
        url: base URL (``http://host/v1``) or the full ``…/chat/completions`` URL; default
            ``LOGKIT_LLM_URL``.  ``None`` leaves the explainer disabled.
        model: model name (default ``LOGKIT_LLM_MODEL``).
        api_key: bearer key (default ``LOGKIT_LLM_API_KEY`` or ``OPENAI_API_KEY``, then the
            0600 secrets file ``SWITCHYARD_SECRETS_FILE``/``SWITCHYARD_HOME/secrets.toml``).
        timeout: seconds for the whole request (default ``LOGKIT_LLM_TIMEOUT``, 20).
        transport: an httpx transport (tests).
    """

    def __init__(
        self,
        *,
        url: str | None = None,
        model: str | None = None,
        api_key: SecretStr | str | None = None,
        timeout: float | None = None,
        transport: httpx.BaseTransport | None = None,
        settings: LogkitSettings | None = None,
    ) -> None:
        cfg = settings or LogkitSettings()
        base = url if url is not None else cfg.llm_url
        self.url = _endpoint(base) if base else None
        self.model = model or cfg.llm_model
        key = api_key if api_key is not None else cfg.llm_api_key
        if key is None:
            key = _key_from_secrets_file(cfg)
        self._key = SecretStr(key) if isinstance(key, str) else key
        self.timeout = timeout if timeout is not None else cfg.llm_timeout
        self._transport = transport

    @property
    def enabled(self) -> bool:
        """True when an endpoint is configured."""
        return self.url is not None

    def __repr__(self) -> str:
        return f"Explainer(url={self.url!r}, model={self.model!r}, enabled={self.enabled})"

    def prompt(self, anomaly: Anomaly) -> list[dict[str, str]]:
        """The chat messages sent for an anomaly (already redacted)."""
        facts = redact_value(
            {
                "kind": anomaly.kind,
                "source": anomaly.source,
                "template": anomaly.template,
                "count_in_window": anomaly.count,
                "baseline_per_window": round(anomaly.baseline, 3),
                "window_seconds": anomaly.window_seconds,
                "level": anomaly.level,
                "sample_lines": [s[:1000] for s in anomaly.samples[:5]],
            }
        )
        return [
            {"role": "system", "content": _SYSTEM},
            {"role": "user", "content": redact(json.dumps(facts, ensure_ascii=False, indent=1))},
        ]

    def explain(self, anomaly: Anomaly) -> Explanation:
        """Ask the model for a probable cause and a suggested action.

        Raises:
            ExplainerDisabledError: no endpoint is configured.
            ExplainerError: the endpoint failed, timed out or answered something unusable.
        """
        if self.url is None:
            raise ExplainerDisabledError("the explainer is off: set LOGKIT_LLM_URL")
        headers = {"Content-Type": "application/json"}
        if self._key is not None and self._key.get_secret_value():
            headers["Authorization"] = f"Bearer {self._key.get_secret_value()}"
        body = {"model": self.model, "messages": self.prompt(anomaly), "temperature": 0.2}
        try:
            with httpx.Client(
                timeout=httpx.Timeout(self.timeout), transport=self._transport
            ) as client:
                response = client.post(self.url, json=body, headers=headers)
        except httpx.TimeoutException as exc:
            raise ExplainerError(
                f"the LLM endpoint did not answer within {self.timeout:g} s"
            ) from exc
        except httpx.HTTPError as exc:
            raise ExplainerError(f"the LLM endpoint failed: {type(exc).__name__}") from exc
        if response.status_code != 200:
            raise ExplainerError(f"the LLM endpoint answered HTTP {response.status_code}")
        try:
            content = response.json()["choices"][0]["message"]["content"]
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise ExplainerError(
                "the LLM endpoint answered something that is not a chat completion"
            ) from exc
        if not isinstance(content, str) or not content.strip():
            raise ExplainerError("the LLM answered an empty message")
        return _parse(content, str(response.json().get("model") or self.model))


def _key_from_secrets_file(cfg: LogkitSettings) -> SecretStr | None:
    """The key from ``SWITCHYARD_SECRETS_FILE`` (or ``SWITCHYARD_HOME/secrets.toml``).

    Accepted shapes: top-level ``LOGKIT_LLM_API_KEY`` or ``OPENAI_API_KEY``, or
    ``[logkit] llm_api_key``.  A file readable by group or others is refused (ignored with a
    warning), as everywhere in Switchyard.
    """
    path = Path(os.environ.get("SWITCHYARD_SECRETS_FILE") or cfg.home / "secrets.toml")
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except OSError:
        return None
    if mode & 0o077:
        _log.warning(
            "secrets file ignored: mode must be 0600", extra={"path": str(path), "mode": oct(mode)}
        )
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
        _log.warning("secrets file unreadable", extra={"path": str(path)})
        return None
    section = data.get("logkit")
    for value in (
        data.get("LOGKIT_LLM_API_KEY"),
        data.get("OPENAI_API_KEY"),
        section.get("llm_api_key") if isinstance(section, dict) else None,
    ):
        if isinstance(value, str) and value:
            return SecretStr(value)
    return None


def _endpoint(base: str) -> str:
    base = base.rstrip("/")
    return base if base.endswith("/chat/completions") else f"{base}/chat/completions"


def _parse(content: str, model: str) -> Explanation:
    match = _JSON_OBJECT.search(content)
    if match is not None:
        try:
            data: Any = json.loads(match.group(0))
        except ValueError:
            data = None
        if isinstance(data, dict) and isinstance(data.get("probable_cause"), str):
            return Explanation(
                probable_cause=data["probable_cause"].strip(),
                suggested_action=str(data.get("suggested_action") or "").strip(),
                model=model,
            )
    # A model that ignored the format: keep its words as the cause.
    return Explanation(probable_cause=content.strip(), suggested_action="", model=model)
