"""The rules document (channels, actions, rules) and its pydantic models.

Secrets may be written as ``${ENV_VAR}`` in the channels and actions sections, so the file can
be committed without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator

from alerts._channels import (
    Channel,
    DiscordChannel,
    EmailChannel,
    SlackChannel,
    TelegramChannel,
    WebhookChannel,
    WordPressChannel,
)
from alerts._rules import Duration, Rule  # noqa: TC001 - pydantic needs them at runtime

if TYPE_CHECKING:
    import httpx


class _Conf(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class WebhookConfig(_Conf):
    """A Standard Webhooks signed webhook."""

    type: Literal["webhook"]
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel."""
        return WebhookChannel(
            name, self.url, self.secret, timeout=self.timeout, transport=transport
        )


class SlackConfig(_Conf):
    """A Slack incoming webhook."""

    type: Literal["slack"]
    webhook_url: SecretStr
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel."""
        return SlackChannel(name, self.webhook_url, timeout=self.timeout, transport=transport)


class TelegramConfig(_Conf):
    """A Telegram bot sending to one chat (optionally one forum topic)."""

    type: Literal["telegram"]
    bot_token: SecretStr
    chat_id: int | str
    message_thread_id: int | None = None
    api_url: str = "https://api.telegram.org"
    disable_notification: bool = False
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel."""
        return TelegramChannel(
            name,
            self.bot_token,
            self.chat_id,
            message_thread_id=self.message_thread_id,
            api_url=self.api_url,
            disable_notification=self.disable_notification,
            timeout=self.timeout,
            transport=transport,
        )


class DiscordConfig(_Conf):
    """A Discord channel webhook."""

    type: Literal["discord"]
    webhook_url: SecretStr
    username: str = "alerts"
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel."""
        return DiscordChannel(
            name,
            self.webhook_url,
            username=self.username,
            timeout=self.timeout,
            transport=transport,
        )


class EmailConfig(_Conf):
    """E-mail over SMTP."""

    type: Literal["email"]
    host: str = "localhost"
    port: int = Field(default=25, ge=1, le=65535)
    sender: str
    to: list[str] = Field(min_length=1)
    username: str | None = None
    password: SecretStr | None = None
    starttls: bool = False
    ssl: bool = False
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel (``transport`` is ignored: SMTP is not HTTP)."""
        return EmailChannel(
            name,
            self.host,
            self.port,
            self.sender,
            self.to,
            username=self.username,
            password=self.password,
            starttls=self.starttls,
            use_ssl=self.ssl,
            timeout=self.timeout,
        )


class WordPressConfig(_Conf):
    """The WordPress plugin's signed REST callback."""

    type: Literal["wordpress"]
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr
    route: str = "/switchyard/v1/action"
    timeout: Duration = 10.0

    def build(self, name: str, transport: httpx.BaseTransport | None = None) -> Channel:
        """Return the channel."""
        return WordPressChannel(
            name,
            self.url,
            self.secret,
            route=self.route,
            timeout=self.timeout,
            transport=transport,
        )


ChannelConfig = Annotated[
    WebhookConfig | SlackConfig | TelegramConfig | DiscordConfig | EmailConfig | WordPressConfig,
    Field(discriminator="type"),
]


class WordPressActionConfig(_Conf):
    """Call a WordPress REST route (signed as the WordPress callback), e.g. to clear a cache."""

    type: Literal["wordpress"]
    url: str = Field(pattern=r"^https?://")
    secret: SecretStr
    route: str = "/switchyard/v1/action"
    action: str = "clear_cache"
    params: dict[str, str | int | float | bool] = Field(default_factory=dict)
    timeout: Duration = 10.0
    dry_run: bool = False


class CommandActionConfig(_Conf):
    """Run a command (no shell) whose executable is on the allow-list."""

    type: Literal["command"]
    argv: list[str] = Field(min_length=1)
    timeout: Duration = 30.0
    cwd: str | None = None
    dry_run: bool = False


ActionConfig = Annotated[WordPressActionConfig | CommandActionConfig, Field(discriminator="type")]


class RulesDocument(BaseModel):
    """A whole rules file: named channels, named actions and the rules that use them."""

    model_config = ConfigDict(extra="forbid")

    channels: dict[str, ChannelConfig] = Field(default_factory=dict)
    actions: dict[str, ActionConfig] = Field(default_factory=dict)
    allowed_commands: list[str] = Field(default_factory=list)
    rules: list[Rule] = Field(default_factory=list)

    @model_validator(mode="after")
    def _references(self) -> RulesDocument:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise ValueError(f"duplicate rule id {rule.id!r}")
            seen.add(rule.id)
        return self

    def reference_problems(self) -> list[tuple[tuple[Any, ...], str]]:
        """Return (location, message) for each rule naming an unknown channel or action."""
        problems: list[tuple[tuple[Any, ...], str]] = []
        for i, rule in enumerate(self.rules):
            for j, name in enumerate(rule.channels):
                if name not in self.channels:
                    known = ", ".join(sorted(self.channels)) or "none configured"
                    problems.append(
                        (("rules", i, "channels", j), f"unknown channel {name!r} ({known})")
                    )
            for j, name in enumerate(rule.actions):
                if name not in self.actions:
                    known = ", ".join(sorted(self.actions)) or "none configured"
                    problems.append(
                        (("rules", i, "actions", j), f"unknown action {name!r} ({known})")
                    )
        for name, action in self.actions.items():
            if (
                isinstance(action, CommandActionConfig)
                and action.argv[0] not in self.allowed_commands
            ):
                problems.append(
                    (
                        ("actions", name, "argv", 0),
                        f"command {action.argv[0]!r} is not in allowed_commands",
                    )
                )
        return problems

    def build_channels(self, transport: httpx.BaseTransport | None = None) -> dict[str, Channel]:
        """Return a channel object per configured channel."""
        return {name: conf.build(name, transport) for name, conf in self.channels.items()}
