"""JSON -> XML -> JSON through the W3C XPath 3.1 mapping: every value comes back exactly."""

from __future__ import annotations

import json
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given, settings
from lxml import etree

from docconv import (
    DocconvUsageError,
    JsonNumber,
    MalformedJSONError,
    MappingError,
    UnrepresentableError,
    json_to_xml,
    value_to_xml,
    xml_to_json,
    xml_to_value,
)
from tests.docconv.strategies import json_values, lexical_values

NS = "http://www.w3.org/2005/xpath-functions"


def exact(value: Any) -> Any:
    """A form of ``value`` whose equality also checks types and key order."""
    if isinstance(value, dict):
        return ("dict", [(key, exact(item)) for key, item in value.items()])
    if isinstance(value, list):
        return ("list", [exact(item) for item in value])
    return (type(value).__name__, repr(value))


def lexical_dumps(value: Any) -> str:
    """JSON text of a value whose numbers are JsonNumber (written verbatim)."""
    if isinstance(value, JsonNumber):
        return str(value)
    if isinstance(value, dict):
        items = ",".join(f"{json.dumps(k)}:{lexical_dumps(v)}" for k, v in value.items())
        return "{" + items + "}"
    if isinstance(value, list):
        return "[" + ",".join(lexical_dumps(v) for v in value) + "]"
    return json.dumps(value)


class TestRoundTripProperty:
    @settings(max_examples=120, deadline=None)
    @given(json_values)
    def test_python_values_come_back_with_types_and_key_order(self, value: Any) -> None:
        xml = value_to_xml(value)
        etree.fromstring(xml)  # well-formed XML whatever the characters
        assert exact(xml_to_value(xml)) == exact(value)

    @settings(max_examples=120, deadline=None)
    @given(lexical_values)
    def test_json_text_comes_back_with_numbers_as_written(self, value: Any) -> None:
        text = lexical_dumps(value)
        back = xml_to_json(json_to_xml(text))
        again = xml_to_value(json_to_xml(text), numbers="lexical")
        assert exact(again) == exact(value)
        assert exact(json.loads(back, parse_int=JsonNumber, parse_float=JsonNumber)) == exact(value)


class TestMappingDetails:
    def test_document_is_in_the_xpath_functions_namespace(self) -> None:
        root = etree.fromstring(json_to_xml('{"a": 1}'))
        assert root.tag == f"{{{NS}}}map"
        assert root[0].tag == f"{{{NS}}}number"
        assert root[0].get("key") == "a"

    @pytest.mark.parametrize(
        ("text", "written"),
        [
            pytest.param("1.50", "1.50", id="trailing-zero"),
            pytest.param("1e5", "1e5", id="exponent"),
            pytest.param("-0", "-0", id="negative-zero"),
            pytest.param(
                "123456789012345678901234567890", "123456789012345678901234567890", id="big"
            ),
            pytest.param("1E-7", "1E-7", id="upper-exponent"),
        ],
    )
    def test_numbers_are_kept_as_written(self, text: str, written: str) -> None:
        xml = json_to_xml(f"[{text}]")
        assert f"<number>{written}</number>".encode() in xml
        assert xml_to_json(xml) == f"[{written}]"

    def test_special_characters_are_escaped_and_flagged(self) -> None:
        xml = json_to_xml(json.dumps({"k\n": "a\u0001b\\c"}))
        root = etree.fromstring(xml)
        member = root[0]
        assert member.get("escaped") == "true"
        assert member.get("escaped-key") == "true"
        assert member.text == "a\\u0001b\\\\c"
        assert member.get("key") == "k\\n"
        assert xml_to_value(xml) == {"k\n": "a\u0001b\\c"}

    def test_plain_strings_carry_no_flag(self) -> None:
        root = etree.fromstring(json_to_xml('["plain <&> text"]'))
        assert root[0].get("escaped") is None
        assert root[0].text == "plain <&> text"

    @pytest.mark.parametrize(
        "text", ["{}", "[]", '""', "null", "true", "false", "0", '"x"', "[[],{}]"]
    )
    def test_any_root_and_empty_containers(self, text: str) -> None:
        assert json.loads(xml_to_json(json_to_xml(text))) == json.loads(text)

    def test_lone_surrogates_survive(self) -> None:
        value = ["\ud800", {"\udfff": "x\ud83d"}]
        assert xml_to_value(value_to_xml(value)) == value
        assert json.loads(xml_to_json(value_to_xml(value))) == value

    def test_decimal_and_tuples_are_accepted(self) -> None:
        xml = value_to_xml({"d": Decimal("1.10"), "t": (1, 2)})
        assert xml_to_value(xml, numbers="decimal") == {"d": Decimal("1.10"), "t": [1, 2]}

    def test_indent(self) -> None:
        text = xml_to_json(json_to_xml('{"a":[1,{"b":null}],"c":{}}'), indent=2)
        assert text.splitlines()[1] == '  "a": ['
        assert json.loads(text) == {"a": [1, {"b": None}], "c": {}}


class TestReadingOtherToolsOutput:
    def test_prefixes_whitespace_comments_and_number_forms(self) -> None:
        xml = f"""<?xml version="1.0"?>
        <fn:map xmlns:fn="{NS}" xmlns:o="urn:other" o:ignored="x">
          <!-- written by hand -->
          <fn:number key="a"> +1.0 </fn:number>
          <fn:number key="b">.5</fn:number>
          <fn:boolean key="c">1</fn:boolean>
          <fn:string key="d" escaped="true">tab\\tquote\\"slash\\/</fn:string>
          <fn:array key="e"> <fn:null/> </fn:array>
        </fn:map>"""
        assert xml_to_value(xml.encode()) == {
            "a": 1.0,
            "b": 0.5,
            "c": True,
            "d": 'tab\tquote"slash/',
            "e": [None],
        }

    @pytest.mark.parametrize(
        ("body", "message"),
        [
            pytest.param('<map xmlns="{ns}"><string>x</string></map>', "no key", id="missing-key"),
            pytest.param(
                '<map xmlns="{ns}"><null key="a"/><null key="a"/></map>', "duplicate", id="dup"
            ),
            pytest.param(
                '<array xmlns="{ns}"><number>NaN</number></array>', "not a JSON", id="nan"
            ),
            pytest.param(
                '<array xmlns="{ns}"><boolean>yes</boolean></array>', "boolean", id="bool"
            ),
            pytest.param('<array xmlns="{ns}">text</array>', "unexpected text", id="text"),
        ],
    )
    def test_invalid_w3c_xml_is_a_mapping_error(self, body: str, message: str) -> None:
        with pytest.raises(MappingError, match=message):
            xml_to_value(body.format(ns=NS).encode(), mapping="w3c")


class TestErrors:
    def test_python_values_are_accepted_text_is_parsed(self) -> None:
        assert json_to_xml({"a": [1]}) == json_to_xml('{"a": [1]}')
        assert xml_to_value(json_to_xml('"x"')) == "x"
        with pytest.raises(DocconvUsageError, match="file object"):
            json_to_xml(object())  # type: ignore[arg-type]
        with pytest.raises(DocconvUsageError, match="mapping"):
            json_to_xml("{}", mapping="yaml")  # type: ignore[arg-type]

    def test_duplicate_keys_are_refused(self) -> None:
        with pytest.raises(MalformedJSONError, match="duplicate key 'a'"):
            json_to_xml('{"a": 1, "a": 2}')

    @pytest.mark.parametrize(
        ("text", "line", "column"),
        [
            pytest.param('{"a": 1,\n  "b": }', 2, 8, id="missing-value"),
            pytest.param("[1, 2", 1, 6, id="unterminated"),
            pytest.param('\n\n  {"a" 1}', 3, 8, id="missing-colon"),
        ],
    )
    def test_malformed_json_has_line_and_column(self, text: str, line: int, column: int) -> None:
        with pytest.raises(MalformedJSONError) as info:
            json_to_xml(text)
        assert (info.value.line, info.value.column) == (line, column)
        assert f"line {line}, column {column}" in str(info.value)

    def test_nan_is_not_json(self) -> None:
        with pytest.raises(MalformedJSONError, match="NaN"):
            json_to_xml("[NaN]")
        with pytest.raises(UnrepresentableError, match="nan"):
            value_to_xml([float("nan")])

    def test_non_json_values_name_their_path(self) -> None:
        with pytest.raises(UnrepresentableError) as info:
            value_to_xml({"a": [1, {"b": {1, 2}}]})
        assert info.value.path == "/a/1/b"
