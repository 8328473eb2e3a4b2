"""Structured logging for every part, and an analyser for PHP, WordPress and server logs."""

from logkit._anomaly import (
    AnalysisReport,
    AnalyzedEntry,
    Analyzer,
    Anomaly,
    FeedResult,
    TemplateStat,
)
from logkit._asgi import RequestIdMiddleware
from logkit._configure import build_formatter, configure, get_logger
from logkit._context import (
    bind_request_id,
    clear_context,
    get_request_id,
    new_request_id,
    request_context,
)
from logkit._exceptions import (
    ConfigurationError,
    ExplainerDisabledError,
    ExplainerError,
    LogkitError,
    StateError,
)
from logkit._explain import Explainer, Explanation
from logkit._follow import FollowedLine, Follower
from logkit._health import (
    CheckResult,
    HealthChecker,
    HealthReport,
    check_disk_space,
    check_http,
    check_log_file,
    check_path,
    check_probe,
    check_state_url,
)
from logkit._parsers import (
    FORMATS,
    EntryAssembler,
    LogEntry,
    detect_format,
    normalise_level,
    parse_line,
    parse_lines,
)
from logkit._redact import Redactor, clear_registered_secrets, redact, register_secret
from logkit._settings import LogkitSettings
from logkit._sink import ConcurrentRotatingFileHandler
from logkit._templates import Template, TemplateMatch, TemplateMiner, mask
from logkit._version import __version__ as __version__

__all__ = [
    "AnalysisReport",
    "AnalyzedEntry",
    "Analyzer",
    "Anomaly",
    "CheckResult",
    "ConcurrentRotatingFileHandler",
    "ConfigurationError",
    "EntryAssembler",
    "Explainer",
    "ExplainerDisabledError",
    "ExplainerError",
    "Explanation",
    "FORMATS",
    "FeedResult",
    "FollowedLine",
    "Follower",
    "HealthChecker",
    "HealthReport",
    "LogEntry",
    "LogkitError",
    "LogkitSettings",
    "Redactor",
    "RequestIdMiddleware",
    "StateError",
    "Template",
    "TemplateMatch",
    "TemplateMiner",
    "TemplateStat",
    "bind_request_id",
    "build_formatter",
    "check_disk_space",
    "check_http",
    "check_log_file",
    "check_path",
    "check_probe",
    "check_state_url",
    "clear_context",
    "clear_registered_secrets",
    "configure",
    "detect_format",
    "get_logger",
    "get_request_id",
    "mask",
    "new_request_id",
    "normalise_level",
    "parse_line",
    "parse_lines",
    "redact",
    "register_secret",
    "request_context",
]
