"""The docconv command line: files, folders, stdin/stdout, check, and exit codes."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import TYPE_CHECKING

import pytest
from lxml import etree
from typer.testing import CliRunner

from docconv.cli import app

if TYPE_CHECKING:
    from pathlib import Path

runner = CliRunner()
ATTACK = b'<!DOCTYPE r [<!ENTITY e SYSTEM "file:///etc/passwd">]><r>&e;</r>'


class TestConvert:
    def test_stdin_to_stdout_both_ways(self) -> None:
        result = runner.invoke(app, ["json2xml"], input=b'{"a": [1.50, null]}')
        assert result.exit_code == 0, result.output
        assert b"<number>1.50</number>" in result.stdout_bytes
        back = runner.invoke(app, ["xml2json"], input=result.stdout_bytes)
        assert back.exit_code == 0
        assert back.stdout.strip() == '{"a":[1.50,null]}'

    def test_files_and_mappings(self, tmp_path: Path) -> None:
        source = tmp_path / "feed.xml"
        source.write_bytes(b"<r><item>1</item><item>2</item></r>")
        target = tmp_path / "feed.json"
        result = runner.invoke(
            app, ["xml2json", str(source), "-o", str(target), "--mapping", "readable", "--typed"]
        )
        assert result.exit_code == 0, result.output
        assert json.loads(target.read_text()) == {"r": {"item": [1, 2]}}
        xml = tmp_path / "again.xml"
        result = runner.invoke(app, ["json2xml", str(target), "-o", str(xml), "-m", "readable"])
        assert result.exit_code == 0, result.output
        assert etree.fromstring(xml.read_bytes()).findtext("item") == "1"

    def test_force_list_and_indent(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app,
            ["xml2json", "-m", "readable", "--force-list", "item", "--indent", "2"],
            input=b"<r><item>1</item></r>",
        )
        assert result.exit_code == 0
        assert json.loads(result.stdout) == {"r": {"item": ["1"]}}
        assert "\n  " in result.stdout

    def test_folder_is_mirrored(self, tmp_path: Path) -> None:
        source = tmp_path / "in"
        (source / "sub").mkdir(parents=True)
        (source / "a.xml").write_bytes(b"<a/>")
        (source / "sub" / "b.xml").write_bytes(b"<b>x</b>")
        (source / "sub" / "bad.xml").write_bytes(b"<b>")
        (source / "notes.txt").write_text("ignored")
        result = runner.invoke(app, ["xml2json", str(source), "-o", str(tmp_path / "out")])
        assert result.exit_code == 3, result.output
        assert json.loads((tmp_path / "out" / "a.json").read_text()) == ["#document", ["a"]]
        assert (tmp_path / "out" / "sub" / "b.json").is_file()
        assert not (tmp_path / "out" / "sub" / "bad.json").exists()
        assert not (tmp_path / "out" / "notes.json").exists()

    def test_folder_needs_output(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["xml2json", str(tmp_path)])
        assert result.exit_code == 2

    def test_streaming(self, tmp_path: Path) -> None:
        result = runner.invoke(
            app,
            ["xml2json", "--stream", "q", "-m", "readable"],
            input=b"<r><q>1</q><x/><q>2</q></r>",
        )
        assert result.exit_code == 0, result.output
        assert result.stdout.splitlines() == ['"1"', '"2"']
        result = runner.invoke(
            app,
            ["json2xml", "--stream", "-m", "readable", "--root", "qs", "--tag", "q"],
            input=b'[{"s": "IBM"}, {"s": "MSFT"}]',
        )
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.endswith(b"<qs><q><s>IBM</s></q><q><s>MSFT</s></q></qs>\n")

    def test_streaming_json_lines_of_jsonml(self) -> None:
        data = b'["a",{"x":"1"},"t"]\n["a","u"]\n'
        result = runner.invoke(
            app, ["json2xml", "--stream", "--lines", "-m", "jsonml", "--root", "r"], input=data
        )
        assert result.exit_code == 0, result.output
        assert result.stdout_bytes.endswith(b'<r><a x="1">t</a><a>u</a></r>\n')

    def test_failed_stream_leaves_no_partial_file(self, tmp_path: Path) -> None:
        target = tmp_path / "out.xml"
        result = runner.invoke(app, ["json2xml", "--stream", "-o", str(target)], input=b"[1, 2")
        assert result.exit_code == 3
        assert not target.exists()


class TestExitCodes:
    @pytest.mark.parametrize(
        ("args", "data", "code"),
        [
            pytest.param(["xml2json"], b"<a>", 3, id="malformed-xml"),
            pytest.param(["json2xml"], b'{"a": }', 3, id="malformed-json"),
            pytest.param(["xml2json"], ATTACK, 4, id="refused"),
            pytest.param(["xml2json", "-m", "readable"], b"<a>x<b/>y</a>", 5, id="lossy"),
            pytest.param(["json2xml", "-m", "readable"], b'{"a b": 1}', 5, id="bad-name"),
            pytest.param(["json2xml", "-m", "nope"], b"{}", 2, id="usage"),
        ],
    )
    def test_codes(self, args: list[str], data: bytes, code: int) -> None:
        result = runner.invoke(app, args, input=data)
        assert result.exit_code == code, result.output

    def test_missing_file_is_an_io_error(self, tmp_path: Path) -> None:
        result = runner.invoke(app, ["xml2json", str(tmp_path / "missing.xml")])
        assert result.exit_code == 6

    def test_error_message_has_position(self) -> None:
        result = runner.invoke(app, ["xml2json"], input=b"<a>\n</b>")
        assert "line 2" in result.stderr


class TestCheck:
    def test_same_data(self, tmp_path: Path) -> None:
        data = tmp_path / "d.json"
        data.write_text('{"a": [1, "x"], "b": {"c": null}}')
        xml = tmp_path / "d.xml"
        assert runner.invoke(app, ["json2xml", str(data), "-o", str(xml)]).exit_code == 0
        result = runner.invoke(app, ["check", str(data), str(xml)])
        assert result.exit_code == 0, result.output
        result = runner.invoke(app, ["check", str(xml), str(data), "--json"])
        assert json.loads(result.stdout)["equal"] is True

    def test_different_data(self, tmp_path: Path) -> None:
        data = tmp_path / "d.json"
        data.write_text('{"a": [1, "x"]}')
        xml = tmp_path / "d.xml"
        xml.write_bytes(b"<r><a>1</a><a>y</a></r>")
        result = runner.invoke(app, ["check", str(data), str(xml), "-m", "readable", "--typed"])
        assert result.exit_code == 1
        assert "/r" in result.stdout or "/a" in result.stdout

    def test_readable_check(self, tmp_path: Path) -> None:
        data = tmp_path / "d.json"
        data.write_text('{"r": {"a": ["1", "x"]}}')
        xml = tmp_path / "d.xml"
        xml.write_bytes(b"<r><a>1</a><a>x</a></r>")
        assert runner.invoke(app, ["check", str(data), str(xml), "-m", "readable"]).exit_code == 0

    def test_two_json_files_is_a_usage_error(self, tmp_path: Path) -> None:
        for name in ("a.json", "b.json"):
            (tmp_path / name).write_text("{}")
        result = runner.invoke(app, ["check", str(tmp_path / "a.json"), str(tmp_path / "b.json")])
        assert result.exit_code == 2


class TestSubprocess:
    def test_python_m_docconv_pipes(self) -> None:
        to_xml = subprocess.run(
            [sys.executable, "-m", "docconv", "json2xml"],
            input=b'["\\u0000", {"k": 1e5}]',
            capture_output=True,
            check=True,
        )
        back = subprocess.run(
            [sys.executable, "-m", "docconv", "xml2json"],
            input=to_xml.stdout,
            capture_output=True,
            check=True,
        )
        assert back.stdout.decode().strip() == '["\\u0000",{"k":1e5}]'

    def test_exit_code_of_refused_input(self) -> None:
        result = subprocess.run(
            [sys.executable, "-m", "docconv", "xml2json"], input=ATTACK, capture_output=True
        )
        assert result.returncode == 4
        assert b"refused" in result.stderr
