"""Redaction of secrets in log events and in free text.

The :class:`Redactor` processor runs last before rendering, so secrets are masked whatever
produced them: a keyword argument, a stdlib ``extra``, an exception text or the message itself.
"""

from __future__ import annotations

import re
import threading
from collections.abc import Mapping, MutableMapping
from typing import Any

from pydantic import SecretBytes, SecretStr

MASK = "[REDACTED]"

# Keys whose values are always masked.  Parts are split on ``_``, ``-`` and ``.`` so that
# ``max_tokens`` or ``keyboard`` are left alone while ``api_key``/``X-Api-Key`` are masked.
_SENSITIVE_KEY = re.compile(
    r"(?i)(?:^|[_\-.\s])(?:pass(?:word|wd|phrase)?|pwd|secret|client[_\-]?secret|token|"
    r"access[_\-]?token|refresh[_\-]?token|id[_\-]?token|api[_\-]?key|apikey|auth|"
    r"authorization|proxy[_\-]?authorization|cookie|set[_\-]?cookie|credentials?|"
    r"private[_\-]?key|signature|session[_\-]?id|access[_\-]?key|secret[_\-]?key|"
    r"bearer)(?:$|[_\-.\s])"
)

_URL_PARAM = re.compile(
    r"(?i)([?&;](?:api[_\-]?key|apikey|key|token|access[_\-]?token|refresh[_\-]?token|"
    r"auth|password|passwd|pwd|secret|client[_\-]?secret|signature|sig|sessionid|session)=)"
    r"[^&#\s\"'<>]+"
)
_KV_PAIR = re.compile(
    r"(?i)\b((?:api[_\-]?key|apikey|access[_\-]?token|refresh[_\-]?token|token|password|passwd|"
    r"pwd|secret|client[_\-]?secret)\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s&,;\"'<>]+)"
)
_AUTH_HEADER = re.compile(
    r"(?i)\b(authorization|proxy-authorization|x-api-key|x-auth-token|cookie)(\s*[:=]\s*)"
    r"(?:(bearer|basic|token|digest)\s+)?([^\s,;\"']+)"
)
_BEARER = re.compile(r"(?i)\b(bearer|basic)\s+[A-Za-z0-9\-._~+/]{8,}=*")
_URL_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://[^/\s:@]*:)[^@/\s]+@")
_KNOWN_TOKENS = re.compile(
    r"\b(?:sk-[A-Za-z0-9_\-]{16,}|AKIA[0-9A-Z]{16}|gh[pousr]_[A-Za-z0-9]{30,}|"
    r"xox[abposr]-[A-Za-z0-9\-]{10,}|eyJ[A-Za-z0-9_\-]{8,}\.eyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]+)"
)

# One search that finds anything the patterns above could mask; most strings have none of it,
# so the substitutions only run on the few that do.
_SUSPICIOUS = re.compile(
    r"(?i)(?:[?&;](?:api|key|token|access|refresh|auth|pass|pwd|secret|client|sig|session)"
    r"|://[^/\s]*@|authorization|x-api-key|x-auth-token|cookie|bearer\s|basic\s"
    r"|(?:api[_\-]?key|apikey|token|password|passwd|pwd|secret)\s*[=:]"
    r"|sk-|AKIA|gh[pousr]_|xox[abposr]-|eyJ)"
)
_SKIP_KEYS = frozenset({"timestamp", "level", "log_level", "logger", "logger_name"})
_SKIP, _SECRET, _SCAN = 0, 1, 2


def _suspicious(text: str) -> bool:
    """Tell whether ``text`` may hold something the redaction patterns mask."""
    if text.isascii():  # for ASCII, lower() is exactly what (?i) compares
        low = text.lower()
        # Every match of _SUSPICIOUS holds one of these pieces ("authorization" and
        # "x-auth-token" hold "auth", "api_key" holds "key", "passwd" holds "pass"…); plain
        # substring tests rule most text out far faster than the case-insensitive alternation.
        if not (
            "key" in low
            or "token" in low
            or "auth" in low
            or "pass" in low
            or "pwd" in low
            or "secret" in low
            or "cookie" in low
            or "bearer" in low
            or "basic" in low
            or "sk-" in low
            or "akia" in low
            or "xox" in low
            or "eyj" in low
            or "?" in low
            or "&" in low
            or ";" in low
            or ("@" in low and "://" in low)
            or ("gh" in low and "_" in low)
        ):
            return False
    return _SUSPICIOUS.search(text) is not None


_registry_lock = threading.Lock()
# Short strings already seen to hold nothing to mask (log messages repeat).  Only verdicts of
# "clean" are kept, never a string with a secret.  A new registered secret replaces the dict;
# a check that started before keeps writing into the old one, which nobody reads any more.
_CLEAN_MAX_LEN = 256
_CLEAN_MAX_ENTRIES = 10_000
_clean: dict[str, bool] = {}


def _reset_clean() -> None:
    global _clean
    _clean = {}


_registered: set[str] = set()
_registered_pattern: re.Pattern[str] | None = None


def register_secret(value: str | SecretStr | None) -> None:
    """Register a literal secret so that it is masked wherever it appears in a log event.

    Values shorter than four characters are ignored (masking them would garble ordinary text).

    Args:
        value: the secret; a ``SecretStr`` is unwrapped, ``None`` and empty strings are ignored.
    """
    global _registered_pattern
    raw = value.get_secret_value() if isinstance(value, SecretStr) else value
    if not raw or len(raw) < 4:
        return
    with _registry_lock:
        if raw in _registered:
            return
        _registered.add(raw)
        ordered = sorted(_registered, key=len, reverse=True)
        _registered_pattern = re.compile("|".join(re.escape(s) for s in ordered))
        _reset_clean()


def clear_registered_secrets() -> None:
    """Forget every secret given to :func:`register_secret` (for tests)."""
    global _registered_pattern
    with _registry_lock:
        _registered.clear()
        _registered_pattern = None
        _reset_clean()


def redact(text: str) -> str:
    """Mask secrets in free text: registered values, URL parameters, auth headers, known tokens.

    Args:
        text: any text, such as a log line or a URL.

    Returns:
        The text with every secret replaced by ``[REDACTED]``.

    Example:
        >>> redact("GET /query?symbol=IBM&apikey=abc123 Authorization: Bearer xyz.abc.def")
        'GET /query?symbol=IBM&apikey=[REDACTED] Authorization: Bearer [REDACTED]'
    """
    pattern = _registered_pattern
    if pattern is not None:
        text = pattern.sub(MASK, text)
    if not _suspicious(text):
        return text
    if "=" in text or ":" in text:
        text = _URL_PARAM.sub(r"\1" + MASK, text)
        text = _URL_USERINFO.sub(r"\1" + MASK + "@", text)
        text = _AUTH_HEADER.sub(_auth_sub, text)
        text = _KV_PAIR.sub(_kv_sub, text)
    text = _BEARER.sub(lambda m: f"{m.group(1)} {MASK}", text)
    return _KNOWN_TOKENS.sub(MASK, text)


def _auth_sub(match: re.Match[str]) -> str:
    scheme = f"{match.group(3)} " if match.group(3) else ""
    return f"{match.group(1)}{match.group(2)}{scheme}{MASK}"


def _kv_sub(match: re.Match[str]) -> str:
    if match.group(2) == MASK:
        return match.group(0)
    return f"{match.group(1)}{MASK}"


_key_cache: dict[str, bool] = {}


def is_sensitive_key(key: str) -> bool:
    """Tell whether values under this key name are always masked (``password``, ``api_key``…)."""
    known = _key_cache.get(key)
    if known is None:
        known = bool(_SENSITIVE_KEY.search(key))
        if len(_key_cache) < 10_000:
            _key_cache[key] = known
    return known


def redact_value(value: Any, *, _depth: int = 0) -> Any:
    """Redact a value of any shape: strings, secrets, mappings, lists and tuples (recursively)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, SecretStr | SecretBytes):
        return MASK
    if _depth > 8:
        return value
    if isinstance(value, Mapping):
        return {
            k: (
                MASK
                if isinstance(k, str) and is_sensitive_key(k) and v
                else redact_value(v, _depth=_depth + 1)
            )
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        items = [redact_value(v, _depth=_depth + 1) for v in value]
        return items if isinstance(value, list) else tuple(items)
    return value


class Redactor:
    """structlog processor that masks secrets in every key and value of an event.

    Args:
        extra_keys: more key names whose values are always masked.
    """

    def __init__(self, extra_keys: frozenset[str] = frozenset()) -> None:
        self._extra = frozenset(k.lower() for k in extra_keys)
        # key name -> _SKIP (never scanned), _SECRET (value masked) or _SCAN; decided once.
        self._kinds: dict[str, int] = {}

    def _kind_of(self, key: str) -> int:
        if key[:1] == "_" or key in _SKIP_KEYS:
            kind = _SKIP
        elif key != "event" and (is_sensitive_key(key) or key.lower() in self._extra):
            kind = _SECRET
        else:
            kind = _SCAN
        if len(self._kinds) < 10_000:
            self._kinds[key] = kind
        return kind

    def __call__(
        self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> MutableMapping[str, Any]:
        """Mask secrets in ``event_dict`` and return it (``bytes`` values are decoded first)."""
        kinds = self._kinds
        clean = _clean  # read before the registered pattern (see _reset_clean)
        unknown: list[str] = []  # keys of the str values left to scan
        for key, value in event_dict.items():
            kind = kinds.get(key)
            if kind is None:
                kind = self._kind_of(key)
            if kind == _SKIP or value is None:
                continue
            cls = type(value)
            if cls is str:
                if kind == _SECRET and value:
                    event_dict[key] = MASK
                elif value not in clean:
                    unknown.append(key)
                continue
            if cls is int or cls is float or cls is bool or isinstance(value, int | float | bool):
                continue
            if cls is bytes:
                value = event_dict[key] = value.decode("utf-8", "replace")
            if kind == _SECRET and value:
                event_dict[key] = MASK
            elif type(value) is str:
                if value not in clean:
                    unknown.append(key)
            else:
                event_dict[key] = redact_value(value)
        # Most events hold no secret: one search over all their strings, joined, proves it
        # (a match inside one string is a match in the joined text; a match that only the
        # joining creates merely sends the strings through ``redact`` one by one).
        if not unknown:
            return event_dict
        if _may_hold_secret("\n".join([event_dict[k] for k in unknown])):
            for key in unknown:
                event_dict[key] = redact(event_dict[key])
        else:
            if len(clean) >= _CLEAN_MAX_ENTRIES:
                clean.clear()
            for key in unknown:
                text = event_dict[key]
                if len(text) <= _CLEAN_MAX_LEN:
                    clean[text] = True
        return event_dict


def _may_hold_secret(text: str) -> bool:
    pattern = _registered_pattern
    if pattern is not None and pattern.search(text):
        return True
    return _suspicious(text)
