"""The readable mapping: xmltodict's conventions, lists that stay lists, typing, no silent loss."""

from __future__ import annotations

import json

import pytest
import xmltodict
from lxml import etree

from docconv import (
    InvalidNameError,
    LossyConversionError,
    MappingError,
    UnrepresentableError,
    force_list_from_xsd,
    json_to_xml,
    value_to_xml,
    xml_to_json,
    xml_to_value,
)

FEED = b"""<rss xmlns:dc="http://purl.org/dc/elements/1.1/" version="2.0">
  <channel>
    <title>News</title>
    <item id="1"><title>A</title><dc:creator>ann</dc:creator></item>
    <item id="2"><title>B</title><dc:creator>bob</dc:creator><empty/></item>
  </channel>
</rss>"""


class TestCompatibility:
    def test_same_as_xmltodict_for_plain_documents(self) -> None:
        assert xml_to_value(FEED, mapping="readable") == xmltodict.parse(FEED)

    def test_unparse_matches_xmltodict(self) -> None:
        value = {"r": {"@id": "7", "a": ["1", "2"], "b": None, "c": {"#text": "t", "@k": "v"}}}
        ours = etree.canonicalize(value_to_xml(value, mapping="readable").decode())
        theirs = etree.canonicalize(xmltodict.unparse(value))
        assert ours == theirs

    def test_round_trip_of_readable_values(self) -> None:
        value = {"r": {"@id": "7", "a": ["1", "2"], "b": None, "c": {"#text": "t", "@k": "v"}}}
        xml = value_to_xml(value, mapping="readable")
        assert xml_to_value(xml, mapping="readable") == value


class TestLists:
    def test_single_items_collapse_without_force_list(self) -> None:
        value = xml_to_value(b"<r><item>1</item></r>", mapping="readable")
        assert value == {"r": {"item": "1"}}

    @pytest.mark.parametrize(
        "force",
        [
            pytest.param({"item"}, id="name"),
            pytest.param({"/r/item"}, id="path"),
            pytest.param({"/*/item"}, id="wildcard"),
            pytest.param(lambda path, name: name == "item", id="callable"),
        ],
    )
    def test_force_list(self, force: object) -> None:
        value = xml_to_value(b"<r><item>1</item><x>2</x></r>", mapping="readable", force_list=force)  # type: ignore[arg-type]
        assert value == {"r": {"item": ["1"], "x": "2"}}

    def test_force_list_by_path_leaves_other_places_alone(self) -> None:
        xml = b"<r><a><item>1</item></a><b><item>2</item></b></r>"
        value = xml_to_value(xml, mapping="readable", force_list={"/r/a/item"})
        assert value == {"r": {"a": {"item": ["1"]}, "b": {"item": "2"}}}

    def test_force_list_from_schema(self) -> None:
        xsd = b"""<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:element name="r"><xs:complexType><xs:sequence>
            <xs:element name="item" maxOccurs="unbounded" type="xs:string"/>
            <xs:element name="one" type="xs:string"/>
          </xs:sequence></xs:complexType></xs:element>
        </xs:schema>"""
        names = force_list_from_xsd(xsd)
        assert names == {"item"}
        value = xml_to_value(
            b"<r><item>1</item><one>x</one></r>", mapping="readable", force_list=names
        )
        assert value == {"r": {"item": ["1"], "one": "x"}}


class TestTyping:
    def test_canonical_scalars_are_typed_others_stay_text(self) -> None:
        xml = b'<r n="3"><a>12</a><b>1.5</b><c>true</c><d>007</d><e>1.50</e><f/></r>'
        assert xml_to_value(xml, mapping="readable", typed=True) == {
            "r": {"@n": 3, "a": 12, "b": 1.5, "c": True, "d": "007", "e": "1.50", "f": None}
        }

    def test_typed_values_write_back(self) -> None:
        xml = value_to_xml({"r": {"a": 12, "b": 1.5, "c": True, "d": None}}, mapping="readable")
        assert xml.endswith(b"<r><a>12</a><b>1.5</b><c>true</c><d/></r>")


class TestNoSilentLoss:
    @pytest.mark.parametrize(
        ("xml", "what"),
        [
            pytest.param(b"<r>text<b/>more</r>", "mixed content", id="mixed"),
            pytest.param(b"<r><a/><b/><a/></r>", "interleaved", id="interleaved"),
            pytest.param(b"<r><!--c--><a/></r>", "comment", id="comment"),
            pytest.param(b"<r><?pi x?></r>", "processing instruction", id="pi"),
        ],
    )
    def test_strict_mode_raises(self, xml: bytes, what: str) -> None:
        with pytest.raises(LossyConversionError, match=what) as info:
            xml_to_json(xml, mapping="readable")
        assert info.value.path == "/r"

    def test_lossy_mode_drops_like_xmltodict(self) -> None:
        value = xml_to_value(b"<r>text<b/>more<!--c--></r>", mapping="readable", strict=False)
        assert value == {"r": {"b": None, "#text": "textmore"}}

    @pytest.mark.parametrize(
        ("value", "error"),
        [
            pytest.param({"a b": 1}, InvalidNameError, id="space-in-name"),
            pytest.param({"1x": 1}, InvalidNameError, id="digit-first"),
            pytest.param({"r": {"@a b": "1"}}, InvalidNameError, id="attribute-name"),
            pytest.param({"r": "\u0001"}, UnrepresentableError, id="control-char"),
            pytest.param({"r": {"a": [[1]]}}, MappingError, id="list-in-list"),
            pytest.param({"a": 1, "b": 2}, MappingError, id="two-roots"),
            pytest.param([1], MappingError, id="list-root"),
            pytest.param({"p:r": 1}, MappingError, id="undeclared-prefix"),
        ],
    )
    def test_json_that_xml_cannot_hold_is_an_error(
        self, value: object, error: type[Exception]
    ) -> None:
        with pytest.raises(error):
            value_to_xml(value, mapping="readable")

    def test_root_option_wraps_any_value(self) -> None:
        xml = json_to_xml(json.dumps([1, 2]), mapping="readable", root="list")
        assert xml.endswith(b"<list><item>1</item><item>2</item></list>")
        assert xml_to_value(xml, mapping="readable") == {"list": {"item": ["1", "2"]}}
        xml = json_to_xml('"x"', mapping="readable", root="s")
        assert xml_to_value(xml, mapping="readable") == {"s": "x"}

    def test_prefixed_names_with_declarations(self) -> None:
        value = {"r": {"@xmlns:p": "urn:p", "p:a": "1"}}
        xml = value_to_xml(value, mapping="readable")
        assert etree.fromstring(xml).find("{urn:p}a") is not None
        assert xml_to_value(xml, mapping="readable") == value
