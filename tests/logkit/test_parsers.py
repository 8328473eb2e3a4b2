"""Parsers: real fixture lines, multi-line entries, detection, and properties (hypothesis)."""

from __future__ import annotations

import datetime as dt
import json
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from logkit import FORMATS, EntryAssembler, LogEntry, detect_format, parse_line, parse_lines

if TYPE_CHECKING:
    from pathlib import Path

PHP_FATAL = [
    "[21-Nov-2026 10:00:00 UTC] PHP Fatal error:  Uncaught Error: Call to undefined function"
    " foo() in /var/www/wp-content/plugins/x/x.php:12",
    "Stack trace:",
    "#0 /var/www/wp-includes/class-wp-hook.php(324): x_init('')",
    "#1 {main}",
    "  thrown in /var/www/wp-content/plugins/x/x.php on line 12",
    "[21-Nov-2026 10:00:01 UTC] PHP Notice:  Undefined index: a in /var/www/a.php on line 3",
]


class TestFixtures:
    @pytest.mark.parametrize(
        ("name", "fmt", "entries"),
        [
            pytest.param("wp_debug_log.sample.log", "php", 8, id="wp-debug"),
            pytest.param("nginx_error.sample.log", "nginx_error", 5, id="nginx-error"),
            pytest.param("apache_error.sample.log", "apache_error", 3, id="apache-error"),
            pytest.param("access.sample.log", "access", 3, id="access"),
            pytest.param("php_fpm.sample.log", "php_fpm", 6, id="php-fpm"),
        ],
    )
    def test_real_lines(self, fixtures_dir: Path, name: str, fmt: str, entries: int) -> None:
        lines = (fixtures_dir / "phplogs" / name).read_text(encoding="utf-8").splitlines()
        assert detect_format(lines) == fmt
        parsed = list(parse_lines(lines))
        assert len(parsed) == entries
        assert _covered(parsed) == list(range(1, len(lines) + 1))
        assert all(e.format in (fmt, "php") for e in parsed)

    def test_wpdb_query_and_xdebug_trace_fold(self, fixtures_dir: Path) -> None:
        lines = (fixtures_dir / "phplogs" / "wp_debug_log.sample.log").read_text().splitlines()
        parsed = list(parse_lines(lines))
        spans = [(e.line, e.end_line) for e in parsed]
        assert (7, 13) in spans  # the SQL over 7 physical lines
        assert (14, 26) in spans  # Xdebug frames, each with its own timestamp
        wpdb = next(e for e in parsed if e.line == 7)
        assert wpdb.level == "error"
        assert wpdb.message.startswith("WordPress database error")

    def test_nginx_entry_over_six_lines_keeps_its_fields(self, fixtures_dir: Path) -> None:
        lines = (fixtures_dir / "phplogs" / "nginx_error.sample.log").read_text().splitlines()
        last = list(parse_lines(lines))[-1]
        assert (last.line, last.end_line) == (5, 10)
        assert last.fields["request"] == "GET /nLOGfinder/ HTTP/1.1"
        assert "thrown in" in last.text


class TestFormats:
    def test_php_fatal_with_stack_trace_is_one_entry(self) -> None:
        fatal, notice = parse_lines(PHP_FATAL)
        assert (fatal.line, fatal.end_line) == (1, 5)
        assert fatal.level == "critical"
        assert fatal.is_error
        assert fatal.timestamp == dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)
        assert fatal.message.startswith("Uncaught Error: Call to undefined function")
        assert notice.level == "notice"

    def test_php_timezone_is_converted_to_utc(self) -> None:
        entry = parse_line("[21-Nov-2026 10:00:00 Europe/Helsinki] PHP Warning:  x", "php")
        assert entry.timestamp == dt.datetime(2026, 11, 21, 8, 0, tzinfo=dt.UTC)

    def test_access_log_levels_by_status(self) -> None:
        line = '1.2.3.4 - bob [21/Nov/2026:10:00:00 +0100] "GET /a?x=1 HTTP/1.1" 502 12 "-" "ua"'
        entry = parse_line(line)
        assert entry.format == "access"
        assert entry.level == "error"
        assert entry.fields["path"] == "/a?x=1"
        assert entry.fields["user"] == "bob"
        assert entry.message == "GET /a HTTP/1.1 502"
        assert entry.timestamp == dt.datetime(2026, 11, 21, 9, 0, tzinfo=dt.UTC)

    def test_json_lines(self) -> None:
        line = json.dumps(
            {"event": "fetched", "level": "warning", "timestamp": "2026-11-21T10:00:00Z", "n": 2}
        )
        entry = parse_line(line)
        assert entry.format == "json"
        assert (entry.message, entry.level, entry.fields["n"]) == ("fetched", "warning", 2)
        assert entry.timestamp == dt.datetime(2026, 11, 21, 10, 0, tzinfo=dt.UTC)

    @pytest.mark.parametrize(
        ("line", "program", "level"),
        [
            pytest.param(
                "Nov 21 10:00:00 web1 sshd[42]: Failed password for root",
                "sshd",
                "error",
                id="3164",
            ),
            pytest.param("<11>Nov 21 10:00:00 web1 cron: job done", "cron", "error", id="3164-pri"),
            pytest.param(
                "<165>1 2026-11-21T10:00:00Z web1 app 7 ID47 - hello", "app", "notice", id="5424"
            ),
        ],
    )
    def test_syslog(self, line: str, program: str, level: str) -> None:
        entry = parse_line(line)
        assert entry.format == "syslog"
        assert entry.fields["program"] == program
        assert entry.level == level

    def test_unknown_lines_become_raw(self) -> None:
        assert detect_format(["hello", "world"]) == "raw"
        entries = list(parse_lines(["hello", "an error here"]))
        assert [e.format for e in entries] == ["raw", "raw"]
        assert entries[1].level == "error"

    def test_leading_continuation_without_head_is_kept(self) -> None:
        entries = list(parse_lines(["#0 orphan frame", *PHP_FATAL], "php"))
        assert entries[0].format == "raw"
        assert _covered(entries) == list(range(1, len(PHP_FATAL) + 2))

    def test_assembler_holds_back_until_next_head(self) -> None:
        assembler = EntryAssembler("php")
        assert assembler.feed(PHP_FATAL[0]) == []
        assert assembler.feed(PHP_FATAL[1]) == []
        assert assembler.pending_lines == 2
        [done] = assembler.feed(PHP_FATAL[5])
        assert done.end_line == 2
        assert [e.line for e in assembler.flush()] == [3]


def _covered(entries: list[LogEntry]) -> list[int]:
    return [n for e in entries for n in range(e.line, e.end_line + 1)]


_line_parts = st.sampled_from(
    [
        "[21-Nov-2026 10:00:00 UTC] PHP Warning:  ",
        "[21-Nov-2026 10:00:00] WARNING: [pool www] ",
        "2026/11/21 10:00:00 [error] 1#1: *2 ",
        "[Sat Nov 21 10:00:00.1 2026] [core:error] [pid 1:tid 2] ",
        '1.2.3.4 - - [21/Nov/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 1 "-" "-"',
        "Nov 21 10:00:00 host prog[1]: ",
        "{",
        '{"message": "x"}',
        "#0 {main}",
        "\t",
        "PHP Fatal error:  ",
        "",
    ]
)
_lines = st.lists(
    st.tuples(_line_parts, st.text(max_size=40)).map(lambda t: (t[0] + t[1]).replace("\n", " ")),
    max_size=30,
)


class TestProperties:
    @settings(max_examples=60, deadline=None)
    @given(lines=_lines, fmt=st.sampled_from([None, *FORMATS]))
    def test_never_crashes_and_accounts_for_every_line(
        self, lines: list[str], fmt: str | None
    ) -> None:
        entries = list(parse_lines(lines, fmt))
        assert _covered(entries) == list(range(1, len(lines) + 1))
        for entry in entries:
            expected = [line.rstrip("\r\n") for line in lines[entry.line - 1 : entry.end_line]]
            assert entry.text == "\n".join(expected)
            assert entry.text.count("\n") == entry.end_line - entry.line

    @settings(max_examples=60, deadline=None)
    @given(text=st.text(max_size=200))
    def test_any_text_parses(self, text: str) -> None:
        lines = text.split("\n")
        entries = list(parse_lines(lines))
        assert _covered(entries) == list(range(1, len(lines) + 1))


def test_unknown_format_is_a_configuration_error() -> None:
    from logkit import ConfigurationError

    with pytest.raises(ConfigurationError):
        EntryAssembler("xml")
