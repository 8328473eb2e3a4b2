"""Safe by default: attack files refused quickly, limits enforced, errors with positions."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from docconv import (
    DocconvError,
    DocconvUsageError,
    EntitiesForbiddenError,
    ExternalReferenceError,
    LimitExceededError,
    Limits,
    MalformedXMLError,
    SecurityError,
    UnrepresentableError,
    json_to_xml,
    stream_xml_to_json,
    xml_to_json,
    xml_to_value,
)

if TYPE_CHECKING:
    from collections.abc import Callable
    from pathlib import Path

# The files of attacks/ that are benign controls (SOURCES.md): they must convert.
BENIGN = {"defusedxml-dtd_element.xml", "defusedxml-simple.xml", "defusedxml-simple-ns.xml"}
# docconv never runs XInclude, but its output may reach a tool that does: refused by default,
# kept as data with Limits(forbid_xinclude=False).
XINCLUDE = "lxml-test_xinclude.xml"


def attack_files(fixtures_dir: Path) -> list[Path]:
    files = sorted((fixtures_dir / "xml" / "attacks").glob("*.xml"))
    assert files, "no attack fixtures"
    return files


class TestAttackFixtures:
    def test_every_attack_is_refused_quickly_with_a_clear_message(self, fixtures_dir: Path) -> None:
        refused = []
        for path in attack_files(fixtures_dir):
            if path.name in BENIGN:
                continue
            started = time.perf_counter()
            for mapping in ("lossless", "readable"):
                with pytest.raises(SecurityError) as info:
                    xml_to_json(path.read_bytes(), mapping=mapping)
                assert str(info.value).startswith("refused:"), path.name
            assert time.perf_counter() - started < 5, f"{path.name} was not refused quickly"
            refused.append(path.name)
        assert len(refused) == 12

    @pytest.mark.parametrize(
        ("name", "error"),
        [
            ("billion_laughs.xml", EntitiesForbiddenError),
            ("defusedxml-quadratic.xml", EntitiesForbiddenError),
            ("defusedxml-cyclic.xml", EntitiesForbiddenError),
            ("defusedxml-xmlbomb.xml", EntitiesForbiddenError),
            ("defusedxml-xmlbomb2.xml", EntitiesForbiddenError),
            ("xxe_local_file.xml", EntitiesForbiddenError),
            ("xxe_parameter_entity.xml", EntitiesForbiddenError),
            ("defusedxml-external.xml", EntitiesForbiddenError),
            ("defusedxml-external_file.xml", EntitiesForbiddenError),
            ("defusedxml-dtd.xml", ExternalReferenceError),
            ("xxe_external_dtd_oob.xml", ExternalReferenceError),
            (XINCLUDE, ExternalReferenceError),
        ],
    )
    def test_attack_kind(self, fixtures_dir: Path, name: str, error: type[Exception]) -> None:
        with pytest.raises(error):
            xml_to_json(fixtures_dir / "xml" / "attacks" / name)

    def test_nothing_from_passwd_ever_appears(self, fixtures_dir: Path) -> None:
        for path in attack_files(fixtures_dir):
            try:
                out = xml_to_json(path.read_bytes())
            except SecurityError:
                continue
            assert "root:" not in out

    @pytest.mark.parametrize("name", sorted(BENIGN))
    def test_benign_controls_convert_both_ways(self, fixtures_dir: Path, name: str) -> None:
        data = (fixtures_dir / "xml" / "attacks" / name).read_bytes()
        assert json_to_xml(xml_to_json(data))
        assert xml_to_json(data, mapping="readable", strict=False)

    def test_external_dtd_can_be_allowed_and_is_kept_but_never_fetched(
        self, fixtures_dir: Path
    ) -> None:
        data = (fixtures_dir / "xml" / "attacks" / "defusedxml-dtd.xml").read_bytes()
        allow = Limits(forbid_external=False)
        as_json = xml_to_json(data, limits=allow)
        assert '"doctype":"<!DOCTYPE html PUBLIC' in as_json
        back = json_to_xml(as_json, limits=allow)
        assert b"xhtml1-transitional.dtd" in back
        with pytest.raises(ExternalReferenceError):
            json_to_xml(as_json)

    def test_xinclude_can_be_allowed_and_is_kept_as_data_not_processed(
        self, fixtures_dir: Path
    ) -> None:
        path = fixtures_dir / "xml" / "attacks" / XINCLUDE
        value = xml_to_value(path, limits=Limits(forbid_xinclude=False))
        include = [node for node in value[1] if isinstance(node, list) and node[0] == "xi:include"]
        assert include == [["xi:include", {"href": "test.xml"}]]


class TestXInclude:
    NS = "http://www.w3.org/2001/XInclude"

    @pytest.mark.parametrize(
        "document",
        [
            pytest.param(f'<a xmlns:xi="{NS}"><xi:include href="/etc/passwd"/></a>', id="prefixed"),
            pytest.param(f'<include xmlns="{NS}" href="x"/>', id="root-default-namespace"),
            pytest.param(
                '<a xmlns:xi="http://www.w3.org/2001/&#88;Include"><xi:include href="x"/></a>',
                id="namespace-built-from-character-reference",
            ),
            pytest.param(
                '<a><b xmlns:z="http://www.w3.org/2003/XInclude"><z:include href="x"/></b></a>',
                id="2003-namespace",
            ),
        ],
    )
    def test_refused_in_every_mapping(self, document: str) -> None:
        for mapping in ("lossless", "readable", "jsonml"):
            with pytest.raises(ExternalReferenceError, match="XInclude"):
                xml_to_json(document.encode(), mapping=mapping)

    def test_refused_while_streaming(self) -> None:
        document = f'<r xmlns:xi="{self.NS}"><i>1</i><i><xi:include href="x"/></i></r>'.encode()
        with pytest.raises(ExternalReferenceError, match="XInclude"):
            list(stream_xml_to_json([document], "i"))

    def test_a_mere_mention_is_not_refused(self) -> None:
        assert xml_to_value(b"<a>XInclude &#65;</a>") == ["#document", ["a", "XInclude A"]]


class TestLimits:
    @pytest.mark.parametrize("kwargs", [{"max_bytes": 0}, {"max_depth": 0}])
    def test_nonsense_limits_are_refused(self, kwargs: dict[str, int]) -> None:
        with pytest.raises(DocconvUsageError):
            Limits(**kwargs)  # type: ignore[arg-type]

    def test_size_limit(self) -> None:
        with pytest.raises(LimitExceededError, match="max_bytes"):
            xml_to_json(b"<a>" + b"x" * 2000 + b"</a>", limits=Limits(max_bytes=1000))
        with pytest.raises(LimitExceededError, match="max_bytes"):
            json_to_xml('"' + "x" * 2000 + '"', limits=Limits(max_bytes=1000))

    def test_xml_depth_limit(self) -> None:
        deep = b"<a>" * 40 + b"</a>" * 40
        with pytest.raises(LimitExceededError):
            xml_to_json(deep, limits=Limits(max_depth=30))
        with pytest.raises(LimitExceededError):
            xml_to_json(b"<a>" * 300 + b"</a>" * 300)

    def test_json_depth_limit(self) -> None:
        with pytest.raises(LimitExceededError):
            json_to_xml("[" * 40 + "]" * 40, limits=Limits(max_depth=30))
        with pytest.raises(LimitExceededError):
            json_to_xml("[" * 100_000 + "]" * 100_000)

    def test_entities_are_never_expanded_even_when_allowed(self) -> None:
        xml = b'<!DOCTYPE r [<!ENTITY e "boom">]><r>&e;</r>'
        with pytest.raises(EntitiesForbiddenError):
            xml_to_json(xml)
        with pytest.raises(UnrepresentableError, match="entity"):
            xml_to_json(xml, limits=Limits(forbid_entities=False))


class TestMalformed:
    @pytest.mark.parametrize(
        ("xml", "line", "column"),
        [
            pytest.param(b"<a>\n<b></a>", 2, 8, id="mismatch"),
            pytest.param(b"<a>\n  <b x='1' x='2'/></a>", 2, 17, id="duplicate-attribute"),
            pytest.param(b"<a>&nope;</a>", 1, 9, id="undefined-entity"),
            pytest.param(b"<p:a/>", 1, 6, id="undeclared-prefix"),
            pytest.param(b"<a>\xff</a>", 1, 4, id="bad-utf8"),
        ],
    )
    def test_position_is_reported(self, xml: bytes, line: int, column: int) -> None:
        with pytest.raises(MalformedXMLError) as info:
            xml_to_json(xml)
        assert info.value.line == line
        assert info.value.column is not None
        assert abs(info.value.column - column) <= 2
        assert "line" in str(info.value)

    @pytest.mark.parametrize("xml", [b"", b"   ", b"<a>", b"text", b"<a/><b/>"])
    def test_other_malformed_input(self, xml: bytes) -> None:
        with pytest.raises(MalformedXMLError):
            xml_to_json(xml)

    def test_malformed_fixtures(self, fixtures_dir: Path) -> None:
        folder = fixtures_dir / "xml" / "wxr" / "wp-core-export"
        with pytest.raises(MalformedXMLError) as info:
            xml_to_json(folder / "crazy-cdata.xml")
        assert info.value.line == 18
        with pytest.raises(MalformedXMLError) as info:
            xml_to_json(folder / "malformed.xml")
        assert info.value.line == 90


def outcome(call: Callable[[], object]) -> str:
    """Run a conversion: it either gives output or raises a DocconvError with a message."""
    message = "no output"
    try:
        result = call()
    except DocconvError as exc:
        message = str(exc)
        result = None
    if result is None:
        return "refused" if message else "silent"
    return "converted" if result else "empty"


ODD_XML = [b"<a", b"<?xml", b"<!DOCTYPE", b"<a xmlns:p=''/>", b"<a>&#0;</a>", b"<a>&#xD800;</a>"]


class TestNothingCrashes:
    @settings(max_examples=60, deadline=None)
    @given(st.binary(max_size=200) | st.sampled_from(ODD_XML))
    def test_arbitrary_bytes_as_xml(self, data: bytes) -> None:
        for mapping in ("lossless", "readable"):

            def convert(mapping: Any = mapping) -> object:
                return xml_to_json(data, mapping=mapping)

            assert outcome(convert) in {"converted", "refused"}

    @settings(max_examples=60, deadline=None)
    @given(st.text(max_size=100) | st.binary(max_size=100))
    def test_arbitrary_input_as_json(self, data: str | bytes) -> None:
        for mapping in ("lossless", "readable", "jsonml"):

            def convert(mapping: Any = mapping) -> object:
                return json_to_xml(data, mapping=mapping)

            assert outcome(convert) in {"converted", "refused"}
