"""The fast paths of configure()'s formatter and of redaction change no result."""

from __future__ import annotations

import datetime
import io
import json
import logging
from decimal import Decimal

import structlog
from hypothesis import given, settings
from hypothesis import strategies as st

import logkit
from logkit import _redact
from logkit._render import dumps_json, utc_stamp

_PIECES = [
    "Authorization",
    "x-api-key",
    "X-Auth-Token",
    "cookie",
    "Bearer ",
    "basic\t",
    "?",
    "&",
    ";",
    "apikey",
    "api_key",
    "API-KEY",
    "token",
    "PassWord",
    "passwd",
    "pwd",
    "secret",
    "client",
    "sig",
    "session",
    "=",
    ":",
    " ",
    "://",
    "@",
    "/",
    "sk-",
    "AKIA",
    "ghp_",
    "gh",
    "_",
    "xoxb-",
    "eyJ",
    "abc",
    "é",
    "K",  # Kelvin sign: equal to "k" for a case-insensitive pattern
]
_texts = st.one_of(
    st.lists(st.sampled_from(_PIECES), max_size=8).map("".join),
    st.text(max_size=40),
)


class TestSuspiciousPrecheck:
    @given(_texts)
    @settings(max_examples=400, deadline=None)
    def test_agrees_with_the_full_pattern(self, text: str) -> None:
        assert _redact._suspicious(text) == (_redact._SUSPICIOUS.search(text) is not None)


class TestRedactorEvent:
    def test_secret_in_any_string_is_masked(self) -> None:
        event = {"event": "call", "a": "plain", "b": "GET /q?apikey=SECRET1", "n": 3}
        _redact.Redactor()(None, "info", event)
        assert event == {"event": "call", "a": "plain", "b": "GET /q?apikey=[REDACTED]", "n": 3}

    def test_match_made_by_joining_leaves_values_alone(self) -> None:
        # "...bearer" + "\n" + "x" looks like "bearer\s" only once joined.
        event = {"event": "x bearer", "b": "xyz"}
        _redact.Redactor()(None, "info", event)
        assert event == {"event": "x bearer", "b": "xyz"}

    def test_bytes_are_decoded_and_redacted(self) -> None:
        event = {"event": "e", "raw": b"token=abcdef \xff"}
        _redact.Redactor()(None, "info", event)
        assert event["raw"] == "token=[REDACTED] \ufffd"

    def test_sensitive_keys_of_any_type(self) -> None:
        event = {"event": "e", "password": 1234, "api_key": ["x"], "Authorization": "Bearer z"}
        _redact.Redactor()(None, "info", event)
        assert event["api_key"] == event["Authorization"] == _redact.MASK
        assert event["password"] == 1234  # numbers are never secrets by themselves

    def test_extra_keys(self) -> None:
        event = {"event": "e", "Pin": "1234"}
        _redact.Redactor(frozenset({"pin"}))(None, "info", event)
        assert event["Pin"] == _redact.MASK


class TestJson:
    def test_odd_values_fall_back(self) -> None:
        value = {
            "big": 2**70,
            "surrogate": "\udcff",
            "d": Decimal("1.5"),
            "when": datetime.datetime(2026, 1, 2, tzinfo=datetime.UTC),
            3: "int key",
        }
        decoded = json.loads(dumps_json(value))
        assert decoded["big"] == 2**70
        assert decoded["d"] == "1.5"
        assert decoded["when"] == "2026-01-02 00:00:00+00:00"
        assert decoded["3"] == "int key"

    def test_utc_stamp(self) -> None:
        created = datetime.datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=datetime.UTC).timestamp()
        assert utc_stamp(created) == "2026-01-02T03:04:05.678901Z"
        assert utc_stamp(created + 1) == "2026-01-02T03:04:06.678901Z"


class TestFormatterOutput:
    def test_key_order_and_stack_of_the_caller(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        with logkit.request_context("rid-1"):
            logging.getLogger("a.b").warning("w %d", 5, extra={"k": "v"}, stack_info=True)
            structlog.get_logger("s").info("ev", k=1)
        first, second = (json.loads(line) for line in out.getvalue().splitlines())
        assert list(first) == ["event", "request_id", "level", "logger", "k", "timestamp", "stack"]
        assert first["event"] == "w 5"
        assert "test_render.py" in first["stack"]  # the caller's stack, not the formatter's
        assert second["event"] == "ev"
        assert second["request_id"] == "rid-1"
        assert second["logger"] == "s"
        assert second["level"] == "info"

    def test_is_still_a_processor_formatter(self) -> None:
        formatter = logkit.build_formatter("json")
        assert isinstance(formatter, structlog.stdlib.ProcessorFormatter)

    def test_console_renderer(self) -> None:
        formatter = logkit.build_formatter("console")
        record = logging.LogRecord("n", logging.INFO, "p", 1, "hello %s", ("x",), None)
        record.password = "hunter22"
        line = formatter.format(record)
        assert "hello x" in line
        assert "hunter22" not in line


class TestCleanCache:
    def test_secret_registered_later_is_masked_in_a_string_seen_clean(self) -> None:
        redactor = _redact.Redactor()
        try:
            first = redactor(None, "info", {"event": "connect with zq-7781-kite"})
            assert first["event"] == "connect with zq-7781-kite"
            logkit.register_secret("zq-7781-kite")
            again = redactor(None, "info", {"event": "connect with zq-7781-kite"})
            assert again["event"] == "connect with [REDACTED]"
        finally:
            logkit.clear_registered_secrets()

    def test_strings_with_secrets_are_never_cached(self) -> None:
        redactor = _redact.Redactor()
        for _ in range(2):
            event = redactor(None, "info", {"event": "x", "u": "https://h/q?token=abcdef"})
            assert event["u"] == "https://h/q?token=[REDACTED]"
        assert "https://h/q?token=abcdef" not in _redact._clean

    def test_extras_of_a_record_copied_elsewhere(self) -> None:
        formatter = logkit.build_formatter("json")
        record = logging.LogRecord("n", logging.INFO, "p", 1, "m", (), None)
        record.first = 1
        record.message = "set by another formatter"
        record.second = "two"
        assert json.loads(formatter.format(record))["first"] == 1
        assert json.loads(formatter.format(record))["second"] == "two"
        assert "message" not in json.loads(formatter.format(record))


class TestStructlogSide:
    def test_positional_arguments_and_stack_of_the_caller(self) -> None:
        out = io.StringIO()
        logkit.configure(fmt="json", stream=out)
        structlog.get_logger("s").warning("pos %s", "arg")
        structlog.get_logger("s").info("st", stack_info=True)
        first, second = (json.loads(line) for line in out.getvalue().splitlines())
        assert first["event"] == "pos arg"
        assert first["level"] == "warning"
        last_frame = str(second["stack"]).splitlines()[-2]  # then the source line
        assert last_frame.endswith("in test_positional_arguments_and_stack_of_the_caller")
