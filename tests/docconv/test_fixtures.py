"""Every real document of the shared fixtures round-trips (WXR, RSS, sitemaps, REST JSON)."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

import pytest
import xmltodict
from lxml import etree

from docconv import (
    JsonNumber,
    MalformedXMLError,
    MappingError,
    check,
    json_to_xml,
    xml_to_json,
    xml_to_value,
)

if TYPE_CHECKING:
    from pathlib import Path

NOT_WELL_FORMED = {"crazy-cdata.xml", "malformed.xml"}


def real_xml(fixtures_dir: Path) -> list[Path]:
    folder = fixtures_dir / "xml"
    files = [
        path
        for sub in ("wxr", "rss", "sitemap")
        for path in sorted((folder / sub).rglob("*.xml"))
        if path.name not in NOT_WELL_FORMED
    ]
    assert len(files) >= 12
    return files


def c14n(xml: bytes) -> str:
    return str(etree.canonicalize(xml.decode("utf-8")))


class TestRealXml:
    def test_every_document_round_trips_losslessly(self, fixtures_dir: Path) -> None:
        for path in real_xml(fixtures_dir):
            data = path.read_bytes()
            back = json_to_xml(xml_to_json(data))
            original = etree.canonicalize(etree.parse(str(path)))
            assert c14n(back) == original, path.name

    def test_readable_lossy_mode_matches_xmltodict_on_feeds(self, fixtures_dir: Path) -> None:
        for name in ("sitemap/wp-sitemap.xml", "sitemap/wp-sitemap-posts-page-1.xml"):
            data = (fixtures_dir / "xml" / name).read_bytes()
            ours = xml_to_value(data, mapping="readable", strict=False)
            assert ours == xmltodict.parse(data), name

    def test_readable_strict_mode_converts_wxr_or_says_why(self, fixtures_dir: Path) -> None:
        converted = 0
        reasons: list[str] = []
        for path in real_xml(fixtures_dir):
            try:
                value = xml_to_value(path.read_bytes(), mapping="readable", force_list={"item"})
            except MappingError as exc:
                reasons.append(str(exc))
                continue
            converted += 1
            assert len(value) == 1
        assert converted >= 5
        assert all(" at /" in reason for reason in reasons), reasons

    @pytest.mark.parametrize("name", sorted(NOT_WELL_FORMED))
    def test_negative_fixtures_are_refused_with_positions(
        self, fixtures_dir: Path, name: str
    ) -> None:
        path = next((fixtures_dir / "xml" / "wxr").rglob(name))
        with pytest.raises(MalformedXMLError) as info:
            xml_to_json(path)
        assert info.value.line is not None
        assert info.value.column is not None


class TestRealJson:
    def test_every_json_file_round_trips_exactly(self, fixtures_dir: Path) -> None:
        files = sorted((fixtures_dir / "xml" / "json").glob("*.json"))
        assert files
        for path in files:
            text = path.read_text(encoding="utf-8")
            back = xml_to_json(json_to_xml(text))
            hooks = {"parse_int": JsonNumber, "parse_float": JsonNumber}
            assert json.loads(back, **hooks) == json.loads(text, **hooks), path.name  # type: ignore[arg-type]
            assert list(json.loads(back)) == list(json.loads(text)) or isinstance(
                json.loads(text), list
            )
            assert check(text, json_to_xml(text)).equal
