"""Signatures: Standard Webhooks (``webhook-id``/``-timestamp``/``-signature``) and the
WordPress callback scheme of CONTRACTS.md (``X-Switchyard-Timestamp``/``-Signature``)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import threading
import time
from typing import TYPE_CHECKING

from alerts._exceptions import SignatureVerificationError

if TYPE_CHECKING:
    from collections.abc import Callable, Mapping

    from statestore import StateStore

DEFAULT_TOLERANCE = 300.0


def _webhook_key(secret: str | bytes) -> bytes:
    if isinstance(secret, bytes):
        return secret
    raw = secret.removeprefix("whsec_")
    try:
        return base64.b64decode(raw, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise ValueError("webhook secret must be 'whsec_' + base64") from exc


def _text(payload: bytes | str) -> bytes:
    return payload.encode() if isinstance(payload, str) else payload


def sign_webhook(secret: str | bytes, msg_id: str, timestamp: int, payload: bytes | str) -> str:
    """Return the Standard Webhooks ``webhook-signature`` value (``v1,<base64>``).

    Args:
        secret: ``whsec_`` + base64 key (or the raw key bytes).
        msg_id: the ``webhook-id`` (our idempotency key).
        timestamp: unix seconds, sent as ``webhook-timestamp``.
        payload: the exact body bytes.

    Returns:
        ``"v1," + base64(HMAC-SHA256(key, f"{msg_id}.{timestamp}.{payload}"))``.

    Example:
        >>> sign_webhook("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "msg_p5jXN8AQM9LWM0D4loKWxJek",
        ...              1614265330, '{"test": 2432232314}')
        'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
    """
    content = f"{msg_id}.{timestamp}.".encode() + _text(payload)
    digest = hmac.new(_webhook_key(secret), content, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name:
            return value
    raise SignatureVerificationError(f"missing header {name}")


def verify_webhook(
    secret: str | bytes,
    headers: Mapping[str, str],
    payload: bytes | str,
    *,
    tolerance: float = DEFAULT_TOLERANCE,
    now: float | None = None,
) -> str:
    """Verify a Standard Webhooks request, for receivers of the ``webhook`` channel.

    Args:
        secret: the shared ``whsec_`` secret.
        headers: the request headers (any letter case).
        payload: the raw body, exactly as received.
        tolerance: the most seconds the timestamp may be away from ``now``.
        now: the current unix time (default: the system clock).

    Returns:
        The ``webhook-id``: de-duplicate on it, redeliveries carry the same one.

    Raises:
        SignatureVerificationError: a header is missing, the timestamp is too old or too new, or
            no ``v1`` signature matches.
    """
    msg_id = _header(headers, "webhook-id")
    stamp = _header(headers, "webhook-timestamp")
    signatures = _header(headers, "webhook-signature")
    try:
        ts = int(stamp)
    except ValueError as exc:
        raise SignatureVerificationError("invalid webhook-timestamp") from exc
    current = time.time() if now is None else now
    if abs(current - ts) > tolerance:
        raise SignatureVerificationError("webhook-timestamp outside the tolerance")
    expected = sign_webhook(secret, msg_id, ts, payload).split(",", 1)[1]
    for candidate in signatures.split():
        version, _, value = candidate.partition(",")
        if version == "v1" and hmac.compare_digest(value, expected):
            return msg_id
    raise SignatureVerificationError("no matching webhook signature")


def sign_wordpress(secret: str, timestamp: int, body: bytes | str) -> str:
    """Return the ``X-Switchyard-Signature`` value: ``sha256=<hex HMAC of "<ts>.<body>">``.

    Example:
        >>> sign_wordpress("s3cret", 1700000000, b"{}")[:7]
        'sha256='
    """
    content = f"{timestamp}.".encode() + _text(body)
    return "sha256=" + hmac.new(secret.encode(), content, hashlib.sha256).hexdigest()


class WordPressVerifier:
    """Check WordPress-callback signatures the way the plugin does, replay protection included.

    Args:
        secret: the shared secret.
        store: where to remember signatures already seen (``store.add`` with a TTL, so several
            processes agree); an in-process memory when ``None``.
        tolerance: the most seconds the timestamp may be away from now.
        clock: the current unix time.
    """

    def __init__(
        self,
        secret: str,
        *,
        store: StateStore | None = None,
        tolerance: float = DEFAULT_TOLERANCE,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self._secret = secret
        self._store = store
        self._tolerance = tolerance
        self._clock = clock or time.time
        self._seen: dict[str, float] = {}
        self._lock = threading.Lock()

    def verify(self, headers: Mapping[str, str], body: bytes | str) -> None:
        """Accept the request or raise.

        Raises:
            SignatureVerificationError: missing header, stale timestamp, wrong signature, replay.
        """
        stamp = _header(headers, "x-switchyard-timestamp")
        signature = _header(headers, "x-switchyard-signature")
        try:
            ts = int(stamp)
        except ValueError as exc:
            raise SignatureVerificationError("invalid X-Switchyard-Timestamp") from exc
        now = self._clock()
        if abs(now - ts) > self._tolerance:
            raise SignatureVerificationError("X-Switchyard-Timestamp outside the tolerance")
        if not hmac.compare_digest(signature, sign_wordpress(self._secret, ts, body)):
            raise SignatureVerificationError("wrong X-Switchyard-Signature")
        ttl = 2 * self._tolerance
        if self._store is not None:
            if not self._store.add(f"alerts:wp-nonce:{signature}", b"1", ttl=ttl):
                raise SignatureVerificationError("replayed signature")
            return
        with self._lock:
            self._seen = {k: v for k, v in self._seen.items() if v > now}
            if signature in self._seen:
                raise SignatureVerificationError("replayed signature")
            self._seen[signature] = now + ttl
