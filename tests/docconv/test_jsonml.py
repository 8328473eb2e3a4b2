"""XML -> JSON -> XML through JsonML: every document comes back equal under C14N 2.0."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from lxml import etree

from docconv import (
    InvalidNameError,
    MappingError,
    UnrepresentableError,
    json_to_xml,
    value_to_xml,
    xml_to_json,
    xml_to_value,
)
from tests.docconv.strategies import xml_documents


def c14n(xml: str | bytes) -> str:
    text = xml.decode("utf-8") if isinstance(xml, bytes) else xml
    return str(etree.canonicalize(text))


class TestRoundTripProperty:
    @settings(max_examples=120, deadline=None)
    @given(xml_documents())
    def test_documents_come_back_canonically_equal(self, document: str) -> None:
        as_json = xml_to_json(document.encode("utf-8"))
        back = json_to_xml(as_json)
        assert c14n(back) == c14n(document)

    @settings(max_examples=40, deadline=None)
    @given(xml_documents())
    def test_the_json_form_is_stable(self, document: str) -> None:
        as_json = xml_to_json(document)
        assert xml_to_json(json_to_xml(as_json)) == as_json

    @settings(max_examples=40, deadline=None)
    @given(xml_documents())
    def test_jsonml_values_also_satisfy_the_json_round_trip(self, document: str) -> None:
        value = json.loads(xml_to_json(document))
        assert xml_to_value(value_to_xml(value)) == value


class TestForm:
    def test_shape(self) -> None:
        xml = (
            b'<?xml version="1.0"?><!--top--><?app run?>'
            b'<r xmlns="urn:d" xmlns:p="urn:p" a="1" p:b="2">t<![CDATA[<c>]]>'
            b'<p:e xml:lang="en"/><!--in--><?pi?>tail</r>'
        )
        assert json.loads(xml_to_json(xml)) == [
            "#document",
            ["#comment", "top"],
            ["#pi", "app", "run"],
            [
                "r",
                {"xmlns": "urn:d", "xmlns:p": "urn:p", "a": "1", "p:b": "2"},
                "t<c>",
                ["p:e", {"xml:lang": "en"}],
                ["#comment", "in"],
                ["#pi", "pi"],
                "tail",
            ],
        ]

    def test_attribute_order_and_whitespace_are_kept(self) -> None:
        xml = b'<r z="1" a="2" m="\t&#10;x">\n  <a> x </a>\r\n</r>'
        value = xml_to_value(xml)
        assert list(value[1][1]) == ["z", "a", "m"]
        assert value[1][1]["m"] == " \nx"  # a literal tab is normalised, &#10; is kept
        assert value[1][2] == "\n  "
        assert c14n(json_to_xml(xml_to_json(xml))) == c14n(xml)

    def test_attribute_prefix_when_two_prefixes_share_a_namespace(self) -> None:
        xml = b'<r xmlns:a="urn:u" xmlns:b="urn:u" b:x="1" a:y="2"/>'
        assert xml_to_value(xml)[1][1] == {
            "xmlns:a": "urn:u",
            "xmlns:b": "urn:u",
            "b:x": "1",
            "a:y": "2",
        }
        assert c14n(json_to_xml(xml_to_json(xml))) == c14n(xml)

    def test_invalid_xml_id_is_not_a_well_formedness_error(self) -> None:
        xml = b'<r xml:id="1 2"><a xml:id="1 2"/></r>'
        assert c14n(json_to_xml(xml_to_json(xml))) == c14n(xml)

    def test_namespace_undeclaration(self) -> None:
        xml = b'<r xmlns="urn:a"><s xmlns=""><t/></s></r>'
        value = xml_to_value(xml)
        assert value[1][2][1] == {"xmlns": ""}
        assert c14n(json_to_xml(xml_to_json(xml))) == c14n(xml)

    def test_internal_dtd_without_entities_is_kept(self) -> None:
        xml = b"<!DOCTYPE t [\n<!ELEMENT t (#PCDATA)>\n]>\n<t>x</t>"
        value = xml_to_value(xml)
        assert value[1] == {"doctype": "<!DOCTYPE t [\n<!ELEMENT t (#PCDATA)>\n]>"}
        assert b"<!ELEMENT t (#PCDATA)>" in json_to_xml(xml_to_json(xml))

    def test_w3c_rooted_documents_can_be_kept_as_trees(self) -> None:
        xml = b'<map xmlns="http://www.w3.org/2005/xpath-functions"><!--c--></map>'
        assert xml_to_value(xml) == {}
        value = xml_to_value(xml, mapping="jsonml")
        assert c14n(json_to_xml(json.dumps(value), mapping="jsonml")) == c14n(xml)


class TestEncodings:
    @pytest.mark.parametrize(
        "data",
        [
            pytest.param(
                '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>', id="str-latin1-decl"
            ),
            pytest.param(
                '<?xml version="1.0" encoding="ISO-8859-1"?><a>é</a>'.encode("latin-1"), id="latin1"
            ),
            pytest.param("<a>é</a>".encode("utf-16"), id="utf16"),
            pytest.param(b"\xef\xbb\xbf<a>\xc3\xa9</a>", id="utf8-bom"),
        ],
    )
    def test_any_declared_encoding_is_read(self, data: str | bytes) -> None:
        assert xml_to_value(data) == ["#document", ["a", "é"]]

    @pytest.mark.parametrize(
        "data",
        [
            pytest.param('\ufeff{"a": "é"}', id="str-bom"),
            pytest.param('{"a": "é"}'.encode("utf-16"), id="utf16"),
            pytest.param(b'\xef\xbb\xbf{"a": "\xc3\xa9"}', id="utf8-bom"),
        ],
    )
    def test_json_encodings(self, data: str | bytes) -> None:
        assert xml_to_value(json_to_xml(data)) == {"a": "é"}


class TestWriterChecks:
    @pytest.mark.parametrize(
        ("value", "error"),
        [
            pytest.param(["#document", ["a b"]], InvalidNameError, id="bad-name"),
            pytest.param(["#document", ["p:a"]], MappingError, id="undeclared-prefix"),
            pytest.param(
                ["#document", ["a", ["#comment", "x--y"]]], UnrepresentableError, id="comment"
            ),
            pytest.param(["#document", ["a", "\u0000"]], UnrepresentableError, id="nul"),
            pytest.param(["#document", ["a", {"k": 1}]], MappingError, id="attr-not-string"),
            pytest.param(["#document", ["#pi", "xml"], ["a"]], InvalidNameError, id="pi-xml"),
            pytest.param(["#document", ["a"], ["b"]], MappingError, id="two-roots"),
            pytest.param(["#document", "text", ["a"]], MappingError, id="top-text"),
        ],
    )
    def test_invalid_jsonml_is_refused_in_jsonml_mapping(
        self, value: list[object], error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            value_to_xml(value, mapping="jsonml")

    @pytest.mark.parametrize(
        "value",
        [
            pytest.param(["#document", ["a", {}]], id="empty-attrs"),
            pytest.param(["#document", ["a", "x", "y"]], id="adjacent-text"),
            pytest.param(["#document", ["a b"]], id="bad-name"),
            pytest.param(["#document"], id="no-root"),
        ],
    )
    def test_non_canonical_jsonml_is_an_ordinary_value_in_lossless(
        self, value: list[object]
    ) -> None:
        xml = value_to_xml(value)
        assert etree.fromstring(xml).tag == "{http://www.w3.org/2005/xpath-functions}array"
        assert xml_to_value(xml) == value

    def test_loose_jsonml_is_accepted_in_jsonml_mapping(self) -> None:
        xml = value_to_xml(["a", {}, "x", "y", ["b", {"id": "1"}]], mapping="jsonml")
        assert xml.endswith(b'<a>xy<b id="1"/></a>')
