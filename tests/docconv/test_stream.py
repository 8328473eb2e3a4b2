"""Streaming: repeated elements to JSON lines and JSON arrays to XML, in constant memory."""

from __future__ import annotations

import io
import json
import re
import tracemalloc
from typing import TYPE_CHECKING

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree

from docconv import (
    EntitiesForbiddenError,
    JsonNumber,
    LimitExceededError,
    Limits,
    MalformedJSONError,
    MalformedXMLError,
    iter_json_values,
    iter_xml_records,
    stream_json_to_xml,
    stream_xml_to_json,
    xml_to_value,
)
from tests.docconv.strategies import json_values

if TYPE_CHECKING:
    from collections.abc import Iterator


def generated_feed(count: int) -> Iterator[bytes]:
    yield b'<?xml version="1.0"?><feed xmlns:q="urn:q"><title>t</title>'
    for index in range(count):
        yield (
            f'<q:quote id="{index}"><symbol>IBM</symbol><price>{index}.50</price>'
            f"<note>{'x' * 200}</note></q:quote>"
        ).encode()
    yield b"</feed>"


class TestXmlRecords:
    def test_each_record_is_a_standalone_jsonml_element(self) -> None:
        records = list(iter_xml_records(generated_feed(3), "quote"))
        assert len(records) == 3
        assert records[1][:2] == ["q:quote", {"xmlns:q": "urn:q", "id": "1"}]
        assert records[1][3] == ["price", "1.50"]

    def test_readable_records(self) -> None:
        records = list(iter_xml_records(generated_feed(2), "{urn:q}quote", mapping="readable"))
        assert records[0] == {"@id": "0", "symbol": "IBM", "price": "0.50", "note": "x" * 200}

    def test_prefixed_tag(self) -> None:
        data = [b'<r xmlns:a="urn:a" xmlns:b="urn:b"><a:x>1</a:x><b:x>2</b:x><x>3</x></r>']
        assert list(iter_xml_records(data, "b:x", mapping="readable")) == ["2"]
        assert list(iter_xml_records(data, "x", mapping="readable")) == ["1", "2", "3"]
        assert list(iter_xml_records(data, "{urn:a}x", mapping="readable")) == ["1"]

    def test_root_children(self) -> None:
        records = list(
            iter_xml_records([b"<r><a>1</a><b/>", b"<a>2</a></r>"], "*", mapping="readable")
        )
        assert records == ["1", None, "2"]

    def test_json_lines_output_and_back(self) -> None:
        lines = b"".join(stream_xml_to_json(generated_feed(5), "quote")).decode().splitlines()
        assert len(lines) == 5
        xml = b"".join(
            stream_json_to_xml(
                [("\n".join(lines)).encode()], mapping="jsonml", root="feed", lines=True
            )
        )
        back = etree.fromstring(xml)
        assert [el.get("id") for el in back] == ["0", "1", "2", "3", "4"]

    def test_json_array_output(self) -> None:
        text = b"".join(
            stream_xml_to_json(generated_feed(3), "quote", mapping="readable", lines=False)
        )
        assert [item["@id"] for item in json.loads(text)] == ["0", "1", "2"]

    def test_memory_stays_flat(self) -> None:
        def count(n: int) -> int:
            tracemalloc.start()
            try:
                total = sum(1 for _ in iter_xml_records(generated_feed(n), "quote"))
                return tracemalloc.get_traced_memory()[1] if total == n else -1
            finally:
                tracemalloc.stop()

        small, large = count(100), count(5_000)  # about 25 kB and 1.3 MB of XML
        assert 0 < large < small * 3 + 512 * 1024

    def test_record_size_limit(self) -> None:
        assert (
            len(list(iter_xml_records(generated_feed(50), "quote", limits=Limits(max_bytes=4096))))
            == 50
        )
        big = [b"<r><a>", b"x" * 10_000, b"</a></r>"]
        with pytest.raises(LimitExceededError, match="without a complete <a> record"):
            list(iter_xml_records(big, "a", limits=Limits(max_bytes=4096)))

    def test_attacks_and_errors_while_streaming(self) -> None:
        with pytest.raises(EntitiesForbiddenError):
            list(iter_xml_records([b'<!DOCTYPE r [<!ENTITY e "x">]><r><a>&e;</a></r>'], "a"))
        with pytest.raises(MalformedXMLError) as info:
            list(iter_xml_records([b"<r><a>1</a>\n<a>2</b></r>"], "a"))
        assert info.value.line == 2
        with pytest.raises(LimitExceededError):
            list(
                iter_xml_records(
                    [b"<r>" + b"<a>" * 50 + b"</a>" * 50 + b"</r>"],
                    "a",
                    limits=Limits(max_depth=20),
                )
            )


def chunked(data: bytes, size: int) -> list[bytes]:
    return [data[i : i + size] for i in range(0, len(data), size)]


class TestJsonValues:
    @settings(max_examples=40, deadline=None)
    @given(st.lists(json_values, max_size=6), st.integers(1, 7))
    def test_any_chunking_gives_the_same_items(self, items: list[object], size: int) -> None:
        text = json.dumps(items, ensure_ascii=False)  # multi-byte characters split by chunks
        data = re.sub("[\ud800-\udfff]", lambda m: f"\\u{ord(m.group()):04x}", text).encode()
        found = list(iter_json_values(chunked(data, size), Limits()))
        assert found == json.loads(data, parse_int=JsonNumber, parse_float=JsonNumber)

    def test_numbers_split_across_chunks_stay_whole(self) -> None:
        assert list(iter_json_values([b"[12", b"34, 5", b".0e1", b"]"], Limits())) == [
            JsonNumber("1234"),
            JsonNumber("5.0e1"),
        ]

    def test_json_lines(self) -> None:
        data = b'{"a": 1}\n\n[2]\n"x"\n'
        assert list(iter_json_values(io.BytesIO(data), Limits())) == [{"a": "1"}, ["2"], "x"]

    @pytest.mark.parametrize(
        ("data", "line", "column"),
        [
            pytest.param(b'[1,\n 2,\n {"a" 3}]', 3, 7, id="missing-colon"),
            pytest.param(b"[1 2]", 1, 4, id="missing-comma"),
            pytest.param(b"[1,]", 1, 4, id="trailing-comma"),
            pytest.param(b"[1", 1, 3, id="unterminated"),
            pytest.param(b"[1] 2", 1, 5, id="extra"),
        ],
    )
    def test_errors_have_positions(self, data: bytes, line: int, column: int) -> None:
        with pytest.raises(MalformedJSONError) as info:
            list(iter_json_values(chunked(data, 2), Limits()))
        assert (info.value.line, info.value.column) == (line, column)

    def test_item_size_limit(self) -> None:
        data = b'["' + b"x" * 300_000 + b'"]'
        with pytest.raises(LimitExceededError):
            list(iter_json_values(chunked(data, 4096), Limits(max_bytes=1000)))


class TestJsonToXmlStream:
    def test_lossless_stream_equals_whole_conversion(self) -> None:
        items: list[object] = [{"a": 1.5}, [], "x\u0001", None, {"k": [True]}]
        data = json.dumps(items).encode()
        xml = b"".join(stream_json_to_xml(chunked(data, 3)))
        assert xml_to_value(xml) == items

    def test_streaming_round_trip_through_w3c(self) -> None:
        items = [{"a": "1.50"}, [1.5, None], "x\u0001", {}]
        data = json.dumps(items).encode()
        xml = b"".join(stream_json_to_xml(chunked(data, 5)))
        lines = b"".join(stream_xml_to_json(chunked(xml, 7), "*", mapping="w3c"))
        assert [json.loads(line) for line in lines.splitlines()] == items

    def test_readable_stream(self) -> None:
        xml = b"".join(
            stream_json_to_xml(
                [b'[{"s": "IBM"}, {"s": "MSFT"}]'], mapping="readable", root="quotes", tag="quote"
            )
        )
        assert xml_to_value(xml, mapping="readable") == {
            "quotes": {"quote": [{"s": "IBM"}, {"s": "MSFT"}]}
        }

    def test_large_array_in_chunks(self) -> None:
        def source() -> Iterator[bytes]:
            yield b"["
            for index in range(20_000):
                yield (b"," if index else b"") + json.dumps({"i": index, "p": "1.0"}).encode()
            yield b"]"

        size = sum(len(chunk) for chunk in stream_json_to_xml(source()))
        assert size > 20_000 * 40
