"""Alert rules evaluated on every event, delivered once to webhooks, chat and e-mail.

Example:
    >>> from decimal import Decimal
    >>> from alerts import Engine, Tick, rule_from_dict
    >>> engine = Engine([rule_from_dict({"id": "r", "kind": "price_above", "symbol": "IBM",
    ...                                  "threshold": 100})], clock=lambda: 0.0)
    >>> [n.summary for n in engine.process(Tick("IBM", Decimal("101")))]
    ['IBM price 101 is above 100']
"""

from alerts._actions import ActionResult, ActionRunner
from alerts._channels import (
    Channel,
    DiscordChannel,
    EmailChannel,
    HTTPChannel,
    SlackChannel,
    TelegramChannel,
    WebhookChannel,
    WordPressChannel,
    deliver_all,
    escape_markdown_v2,
    parse_retry_after,
)
from alerts._config import (
    CommandActionConfig,
    DiscordConfig,
    EmailConfig,
    RulesDocument,
    SlackConfig,
    TelegramConfig,
    WebhookConfig,
    WordPressActionConfig,
    WordPressConfig,
)
from alerts._engine import Engine
from alerts._events import Anomaly, Event, HealthEvent, LogEvent, Tick, parse_event
from alerts._exceptions import (
    ActionError,
    ActionNotAllowedError,
    AlertsError,
    ChannelError,
    ChannelPermanentError,
    ChannelRateLimitedError,
    ChannelTransientError,
    DuplicateRuleError,
    RuleValidationError,
    SignatureVerificationError,
    UnknownChannelError,
    UnknownRuleError,
    ValidationIssue,
)
from alerts._loader import load_rules, parse_rules
from alerts._notification import Notification, RuleState
from alerts._outbox import DeliveryWorker, Outbox, OutboxEntry
from alerts._repository import RuleRepository, validate_rule
from alerts._rules import (
    AnomalyRule,
    CrossingRule,
    HealthRule,
    LogFrequencyRule,
    LogPatternRule,
    MoveRule,
    NewTemplateRule,
    NoDataRule,
    PriceAboveRule,
    PriceBelowRule,
    PriceChannelRule,
    Rule,
    Schedule,
    Trigger,
    VolumeSpikeRule,
    explain,
    parse_duration,
    rule_from_dict,
    rule_to_dict,
)
from alerts._runner import StreamRunner, engine_on_store_rules
from alerts._settings import AlertsSettings
from alerts._signing import WordPressVerifier, sign_webhook, sign_wordpress, verify_webhook
from alerts._simulate import simulate
from alerts._version import __version__ as __version__

__all__ = [
    "ActionError",
    "ActionNotAllowedError",
    "ActionResult",
    "ActionRunner",
    "AlertsError",
    "AlertsSettings",
    "Anomaly",
    "AnomalyRule",
    "Channel",
    "ChannelError",
    "ChannelPermanentError",
    "ChannelRateLimitedError",
    "ChannelTransientError",
    "CommandActionConfig",
    "CrossingRule",
    "DeliveryWorker",
    "DiscordChannel",
    "DiscordConfig",
    "DuplicateRuleError",
    "EmailChannel",
    "EmailConfig",
    "Engine",
    "Event",
    "HTTPChannel",
    "HealthEvent",
    "HealthRule",
    "LogEvent",
    "LogFrequencyRule",
    "LogPatternRule",
    "MoveRule",
    "NewTemplateRule",
    "NoDataRule",
    "Notification",
    "Outbox",
    "OutboxEntry",
    "PriceAboveRule",
    "PriceBelowRule",
    "PriceChannelRule",
    "Rule",
    "RuleRepository",
    "RuleState",
    "RuleValidationError",
    "RulesDocument",
    "Schedule",
    "SignatureVerificationError",
    "SlackChannel",
    "SlackConfig",
    "StreamRunner",
    "TelegramChannel",
    "TelegramConfig",
    "Tick",
    "Trigger",
    "UnknownChannelError",
    "UnknownRuleError",
    "ValidationIssue",
    "VolumeSpikeRule",
    "WebhookChannel",
    "WebhookConfig",
    "WordPressActionConfig",
    "WordPressChannel",
    "WordPressConfig",
    "WordPressVerifier",
    "deliver_all",
    "engine_on_store_rules",
    "escape_markdown_v2",
    "explain",
    "load_rules",
    "parse_duration",
    "parse_event",
    "parse_retry_after",
    "parse_rules",
    "rule_from_dict",
    "rule_to_dict",
    "sign_webhook",
    "sign_wordpress",
    "simulate",
    "validate_rule",
    "verify_webhook",
]
