"""Delivery channels: signed webhook, Slack, Telegram, Discord, SMTP e-mail, WordPress callback.

Each channel speaks its service's wire format and limits, and maps every answer to one of
:class:`ChannelRateLimitedError` (429, with the service's Retry-After),
:class:`ChannelTransientError` (5xx, 408, timeouts, connection errors) or
:class:`ChannelPermanentError` (other 4xx). No httpx or smtplib exception escapes ``send``.
Secret URLs and tokens never appear in an exception message or a log line.
"""

from __future__ import annotations

import email.utils
import json
import logging
import math
import smtplib
import ssl
import time
from abc import ABC, abstractmethod
from datetime import UTC, datetime
from email.message import EmailMessage
from typing import TYPE_CHECKING, Any

import httpx
from pydantic import SecretStr

from alerts._exceptions import (
    ChannelError,
    ChannelPermanentError,
    ChannelRateLimitedError,
    ChannelTransientError,
)
from alerts._signing import sign_webhook, sign_wordpress

if TYPE_CHECKING:
    from alerts._notification import Notification

log = logging.getLogger(__name__)

USER_AGENT = "switchyard-alerts/0.1"
TELEGRAM_LIMIT = 4096
SLACK_SECTION_LIMIT = 3000
SLACK_TEXT_LIMIT = 40000
DISCORD_CONTENT_LIMIT = 2000
DISCORD_TITLE_LIMIT = 256
DISCORD_DESCRIPTION_LIMIT = 4096
DISCORD_EMBED_TOTAL = 6000
_MARKDOWN_V2_SPECIAL = set("_*[]()~`>#+-=|{}.!\\")


def parse_retry_after(value: str | None, *, now: float | None = None) -> float | None:
    """Parse a ``Retry-After`` header: delta seconds or an HTTP date.

    Returns:
        Seconds to wait (>= 0), or ``None`` when absent or unreadable.

    Example:
        >>> parse_retry_after("34")
        34.0
    """
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:  # "inf" / "nan" would pause a channel forever: unreadable
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


def escape_markdown_v2(text: str) -> str:
    r"""Escape text for Telegram's MarkdownV2 (every reserved character gets a backslash).

    Example:
        >>> escape_markdown_v2("IBM +1.5% (high)")
        'IBM \\+1\\.5% \\(high\\)'
    """
    return "".join("\\" + ch if ch in _MARKDOWN_V2_SPECIAL else ch for ch in text)


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def truncate(text: str, limit: int, *, utf16: bool = False) -> str:
    """Cut ``text`` to at most ``limit`` characters, ending with an ellipsis when cut."""
    size = _utf16_len if utf16 else len
    if size(text) <= limit:
        return text
    cut = text[: max(0, limit - 1)]
    while size(cut) > limit - 1:
        cut = cut[:-1]
    return cut + "…"


def escape_slack(text: str) -> str:
    """Escape ``&``, ``<`` and ``>`` as Slack's mrkdwn requires."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


class Channel(ABC):
    """A place notifications go. Subclasses implement :meth:`send`.

    Attributes:
        name: the channel's name in the configuration.
    """

    name: str = "channel"

    @abstractmethod
    def send(self, notification: Notification) -> None:
        """Deliver one notification.

        Raises:
            ChannelRateLimitedError: the service asked us to wait (429).
            ChannelTransientError: a failure that may pass.
            ChannelPermanentError: a failure that retrying cannot fix.
        """

    def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections (no-op by default)."""

    def ready_at(self) -> float:
        """Unix time before which the service asked us not to send (0: send now).

        Channels that read rate-limit headers on success (Discord) set it, so the worker waits
        instead of running into a 429.
        """
        return 0.0


class HTTPChannel(Channel):
    """Base of the HTTP channels: one httpx client, answers mapped to channel errors.

    Args:
        name: the channel's name.
        timeout: seconds for connect/read.
        transport: an httpx transport (tests pass ``httpx.MockTransport``).
    """

    def __init__(
        self, name: str, *, timeout: float = 10.0, transport: httpx.BaseTransport | None = None
    ) -> None:
        self.name = name
        self._client = httpx.Client(
            timeout=timeout, transport=transport, headers={"User-Agent": USER_AGENT}
        )

    def close(self) -> None:
        """Close the HTTP client."""
        self._client.close()

    def _post(
        self,
        url: str,
        *,
        content: bytes,
        headers: dict[str, str] | None = None,
        params: dict[str, str] | None = None,
    ) -> httpx.Response:
        all_headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            response = self._client.post(url, content=content, headers=all_headers, params=params)
        except httpx.TimeoutException as exc:
            raise ChannelTransientError(f"{self.name}: timed out") from exc
        except httpx.HTTPError as exc:
            # The exception text may hold the URL (a secret for Slack/Discord/Telegram).
            raise ChannelTransientError(f"{self.name}: {type(exc).__name__}") from exc
        self._check(response)
        return response

    def _body_retry_after(self, response: httpx.Response) -> float | None:
        try:
            data = response.json()
        except ValueError:
            return None
        if isinstance(data, dict):
            for holder in (data, data.get("parameters") or {}):
                value = holder.get("retry_after") if isinstance(holder, dict) else None
                if (
                    isinstance(value, int | float)
                    and not isinstance(value, bool)
                    and math.isfinite(value)
                ):
                    return max(0.0, float(value))
        return None

    def _check(self, response: httpx.Response) -> None:
        code = response.status_code
        if 200 <= code < 300:
            return
        detail = response.text[:200].replace("\n", " ")
        if code == 429:
            wait = self._body_retry_after(response)
            header = parse_retry_after(response.headers.get("Retry-After"))
            if wait is None or (header is not None and header > wait):
                wait = header
            raise ChannelRateLimitedError(
                f"{self.name}: rate limited (429) {detail}", retry_after=wait if wait else 1.0
            )
        if code == 408 or code >= 500:
            raise ChannelTransientError(f"{self.name}: HTTP {code} {detail}")
        raise ChannelPermanentError(f"{self.name}: HTTP {code} {detail}")


def notification_payload(notification: Notification) -> dict[str, Any]:
    """The JSON document our webhook and WordPress channels send."""
    return {
        "type": f"alert.{notification.status}",
        "timestamp": notification.at.isoformat().replace("+00:00", "Z"),
        "data": notification.model_dump(mode="json"),
    }


class WebhookChannel(HTTPChannel):
    """POST the notification as JSON, signed per Standard Webhooks.

    Headers: ``webhook-id`` (the notification id: receivers de-duplicate on it),
    ``webhook-timestamp`` and ``webhook-signature``. Receivers check them with
    :func:`alerts.verify_webhook`.
    """

    def __init__(
        self,
        name: str,
        url: str,
        secret: SecretStr | str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        super().__init__(name, timeout=timeout, transport=transport)
        self._url = url
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._clock = clock

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        body = json.dumps(notification_payload(notification), separators=(",", ":")).encode()
        ts = int(self._clock())
        signature = sign_webhook(self._secret.get_secret_value(), notification.id, ts, body)
        self._post(
            self._url,
            content=body,
            headers={
                "webhook-id": notification.id,
                "webhook-timestamp": str(ts),
                "webhook-signature": signature,
            },
        )


class SlackChannel(HTTPChannel):
    """Slack incoming webhook: ``text`` fallback plus mrkdwn ``blocks``; success is ``ok``."""

    def __init__(
        self,
        name: str,
        webhook_url: SecretStr | str,
        *,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(name, timeout=timeout, transport=transport)
        self._url = webhook_url if isinstance(webhook_url, SecretStr) else SecretStr(webhook_url)

    @staticmethod
    def build_body(notification: Notification) -> dict[str, Any]:
        """Return the JSON body for one notification (limits applied)."""
        icon = ":rotating_light:" if notification.status == "firing" else ":white_check_mark:"
        title = escape_slack(notification.title)
        summary = escape_slack(notification.summary)
        section = truncate(f"{icon} *{title}*\n{summary}", SLACK_SECTION_LIMIT)
        context = escape_slack(
            f"rule {notification.rule_id} · {notification.severity} · {notification.at.isoformat()}"
        )
        return {
            "text": truncate(f"{title}: {summary}", SLACK_TEXT_LIMIT),
            "blocks": [
                {"type": "section", "text": {"type": "mrkdwn", "text": section}},
                {"type": "context", "elements": [{"type": "mrkdwn", "text": context[:3000]}]},
            ],
        }

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        body = json.dumps(self.build_body(notification)).encode()
        response = self._post(self._url.get_secret_value(), content=body)
        if response.text.strip() not in ("ok", ""):
            raise ChannelPermanentError(f"{self.name}: unexpected answer {response.text[:100]!r}")


class TelegramChannel(HTTPChannel):
    """Telegram Bot API ``sendMessage`` with MarkdownV2 (escaped) and the 4096-character limit.

    When Telegram still refuses the entities (400 ``can't parse entities``), the message is sent
    once more as plain text rather than lost.
    """

    def __init__(
        self,
        name: str,
        bot_token: SecretStr | str,
        chat_id: int | str,
        *,
        message_thread_id: int | None = None,
        api_url: str = "https://api.telegram.org",
        disable_notification: bool = False,
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(name, timeout=timeout, transport=transport)
        self._token = bot_token if isinstance(bot_token, SecretStr) else SecretStr(bot_token)
        self._chat_id = chat_id
        self._thread = message_thread_id
        self._api = api_url.rstrip("/")
        self._silent = disable_notification

    @staticmethod
    def build_text(notification: Notification, *, markdown: bool = True) -> str:
        """Return the message text: bold title and summary, within 4096 visible characters."""
        title = notification.title
        budget = TELEGRAM_LIMIT - _utf16_len(title) - 1
        summary = truncate(notification.summary, max(budget, 1), utf16=True)
        if not markdown:
            return truncate(f"{title}\n{summary}", TELEGRAM_LIMIT, utf16=True)
        return f"*{escape_markdown_v2(title)}*\n{escape_markdown_v2(summary)}"

    def build_body(self, notification: Notification, *, markdown: bool = True) -> dict[str, Any]:
        """Return the sendMessage JSON body."""
        body: dict[str, Any] = {
            "chat_id": self._chat_id,
            "text": self.build_text(notification, markdown=markdown),
            "disable_notification": self._silent,
            "link_preview_options": {"is_disabled": True},
        }
        if markdown:
            body["parse_mode"] = "MarkdownV2"
        if self._thread is not None:
            body["message_thread_id"] = self._thread
        return body

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        url = f"{self._api}/bot{self._token.get_secret_value()}/sendMessage"
        try:
            response = self._post(url, content=json.dumps(self.build_body(notification)).encode())
        except ChannelPermanentError as exc:
            if "parse entities" not in str(exc):
                raise
            log.warning(
                "telegram refused the markdown; sending plain text", extra={"channel": self.name}
            )
            plain = self.build_body(notification, markdown=False)
            response = self._post(url, content=json.dumps(plain).encode())
        try:
            ok = response.json().get("ok")
        except (ValueError, AttributeError):
            ok = None
        if ok is not True:
            raise ChannelPermanentError(f"{self.name}: unexpected answer {response.text[:100]!r}")


class DiscordChannel(HTTPChannel):
    """Discord webhook execute: one embed (title 256, description 4096, total 6000), no pings."""

    FIRING_COLOR = 0x992D22
    RESOLVED_COLOR = 0x2ECC71

    def __init__(
        self,
        name: str,
        webhook_url: SecretStr | str,
        *,
        username: str = "alerts",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        super().__init__(name, timeout=timeout, transport=transport)
        self._url = webhook_url if isinstance(webhook_url, SecretStr) else SecretStr(webhook_url)
        self._username = username[:80]
        self._ready_at = 0.0

    def build_body(self, notification: Notification) -> dict[str, Any]:
        """Return the execute-webhook JSON body (limits applied)."""
        title = truncate(notification.title, DISCORD_TITLE_LIMIT)
        description = truncate(
            f"{notification.summary}\nrule `{notification.rule_id}` · {notification.severity}",
            min(DISCORD_DESCRIPTION_LIMIT, DISCORD_EMBED_TOTAL - len(title)),
        )
        firing = notification.status == "firing"
        return {
            "content": "",
            "username": self._username,
            "embeds": [
                {
                    "title": title,
                    "description": description,
                    "color": self.FIRING_COLOR if firing else self.RESOLVED_COLOR,
                    "timestamp": notification.at.isoformat(),
                }
            ],
            "allowed_mentions": {"parse": []},
        }

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        url = self._url.get_secret_value()
        url += ("&" if "?" in url else "?") + "wait=true"
        response = self._post(url, content=json.dumps(self.build_body(notification)).encode())
        # Discord announces its bucket: with nothing left, wait for the reset, not for a 429.
        if response.headers.get("X-RateLimit-Remaining") == "0":
            wait = parse_retry_after(response.headers.get("X-RateLimit-Reset-After"))
            if wait:
                self._ready_at = time.time() + wait

    def ready_at(self) -> float:
        """See :meth:`Channel.ready_at`: set from ``X-RateLimit-Remaining: 0``."""
        return self._ready_at


class WordPressChannel(HTTPChannel):
    """POST the notification to the WordPress plugin, signed as in CONTRACTS.md.

    ``POST {url}/?rest_route={route}`` with ``X-Switchyard-Timestamp`` and
    ``X-Switchyard-Signature: sha256=<hex HMAC-SHA256 of "<timestamp>.<raw body>">``.
    """

    def __init__(
        self,
        name: str,
        url: str,
        secret: SecretStr | str,
        *,
        route: str = "/switchyard/v1/action",
        timeout: float = 10.0,
        transport: httpx.BaseTransport | None = None,
        clock: Any = time.time,
    ) -> None:
        super().__init__(name, timeout=timeout, transport=transport)
        self._url = url.rstrip("/")
        self._route = route
        self._secret = secret if isinstance(secret, SecretStr) else SecretStr(secret)
        self._clock = clock

    def call(self, document: dict[str, Any]) -> httpx.Response:
        """POST one signed JSON document to the route; return the response.

        Raises:
            ChannelError: as :meth:`Channel.send`.
        """
        body = json.dumps(document, separators=(",", ":")).encode()
        ts = int(self._clock())
        headers = {
            "X-Switchyard-Timestamp": str(ts),
            "X-Switchyard-Signature": sign_wordpress(self._secret.get_secret_value(), ts, body),
            "Idempotency-Key": str(document.get("id", "")),
        }
        return self._post(
            f"{self._url}/", content=body, headers=headers, params={"rest_route": self._route}
        )

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        document = {"id": notification.id, "action": "notify", **notification_payload(notification)}
        self.call(document)


class EmailChannel(Channel):
    """Send a plain-text e-mail over SMTP (optionally STARTTLS or implicit TLS, and login).

    The ``Message-ID`` is derived from the notification id, so mail clients collapse repeats.
    SMTP 4xx answers are transient, 5xx permanent.
    """

    def __init__(
        self,
        name: str,
        host: str,
        port: int,
        sender: str,
        to: list[str],
        *,
        username: str | None = None,
        password: SecretStr | None = None,
        starttls: bool = False,
        use_ssl: bool = False,
        timeout: float = 10.0,
    ) -> None:
        self.name = name
        self._host, self._port = host, port
        self._sender, self._to = sender, list(to)
        self._username, self._password = username, password
        self._starttls, self._ssl, self._timeout = starttls, use_ssl, timeout

    def build_message(self, notification: Notification) -> EmailMessage:
        """Return the e-mail for one notification."""
        message = EmailMessage()
        subject = f"{notification.title}: {notification.summary}"
        message["Subject"] = truncate(" ".join(subject.split()), 200)
        message["From"] = self._sender
        message["To"] = ", ".join(self._to)
        message["Date"] = email.utils.format_datetime(datetime.now(tz=UTC))
        message["Message-ID"] = f"<{notification.id}@switchyard.alerts>"
        message["X-Switchyard-Rule"] = notification.rule_id
        lines = [
            notification.summary,
            "",
            f"Rule:     {notification.rule_name} ({notification.rule_id})",
            f"Status:   {notification.status}",
            f"Severity: {notification.severity}",
            f"At:       {notification.at.isoformat()}",
        ]
        if notification.value is not None:
            lines.append(f"Value:    {notification.value}")
        message.set_content("\n".join(lines) + "\n")
        return message

    def send(self, notification: Notification) -> None:
        """Deliver one notification (see :meth:`Channel.send`)."""
        message = self.build_message(notification)
        try:
            smtp_cls = smtplib.SMTP_SSL if self._ssl else smtplib.SMTP
            with smtp_cls(self._host, self._port, timeout=self._timeout) as smtp:
                if self._starttls:
                    smtp.starttls(context=ssl.create_default_context())
                if self._username and self._password is not None:
                    smtp.login(self._username, self._password.get_secret_value())
                smtp.send_message(message)
        except smtplib.SMTPRecipientsRefused as exc:
            raise ChannelPermanentError(f"{self.name}: recipients refused") from exc
        except smtplib.SMTPResponseException as exc:
            code = exc.smtp_code
            text = f"{self.name}: SMTP {code}"
            if 400 <= code < 500:
                raise ChannelTransientError(text) from exc
            raise ChannelPermanentError(text) from exc
        except (smtplib.SMTPException, OSError) as exc:
            raise ChannelTransientError(f"{self.name}: {type(exc).__name__}") from exc


def deliver_all(
    channels: list[Channel], notification: Notification
) -> dict[str, ChannelError | None]:
    """Send one notification to several channels; one failing channel never stops the others.

    Failures are logged as warnings with their traceback and returned.

    Returns:
        channel name -> ``None`` on success or the error it raised.
    """
    results: dict[str, ChannelError | None] = {}
    for channel in channels:
        try:
            channel.send(notification)
        except ChannelError as exc:
            log.warning("channel failed", exc_info=True, extra={"channel": channel.name})
            results[channel.name] = exc
        except Exception as exc:
            log.warning("channel crashed", exc_info=True, extra={"channel": channel.name})
            results[channel.name] = ChannelTransientError(f"{channel.name}: {type(exc).__name__}")
        else:
            results[channel.name] = None
    return results
