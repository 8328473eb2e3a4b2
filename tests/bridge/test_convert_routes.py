"""JSON ⇄ XML over HTTP: round trips, streaming, limits, safety, malformed input."""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import pytest

from tests.bridge.server import raw_http

if TYPE_CHECKING:
    from collections.abc import Iterator

    from tests.bridge.server import RunningBridge

DOCUMENT = {"quote": {"symbol": "IBM", "price": 123.45, "tags": ["a", "b"], "ok": True, "x": None}}


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    return error


class TestJsonToXml:
    def test_lossless_round_trip_through_both_routes(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            xml = client.post("/v1/convert/json-to-xml", json=DOCUMENT)
            assert xml.status_code == 200, xml.text
            assert xml.headers["content-type"].startswith("application/xml")
            back = client.post(
                "/v1/convert/xml-to-json",
                content=xml.content,
                headers={"Content-Type": "application/xml"},
            )
        assert back.status_code == 200, back.text
        assert back.headers["content-type"].startswith("application/json")
        assert json.loads(back.text) == DOCUMENT

    def test_readable_mapping_with_root(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post(
                "/v1/convert/json-to-xml",
                params={"mapping": "readable", "root": "items"},
                json={"item": [1, 2]},
            )
        assert response.status_code == 200, response.text
        assert b"<items><item>1</item><item>2</item></items>" in response.content

    def test_malformed_json_names_line_and_column(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post("/v1/convert/json-to-xml", content=b'{"a": 1,\n "b": }')
        assert response.status_code == 422
        error = _error(response.json())
        assert error["code"] == "invalid_request"
        assert "line 2" in error["message"]

    def test_empty_body_is_422(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post("/v1/convert/json-to-xml", content=b"")
        assert response.status_code == 422

    def test_unknown_mapping_is_422_naming_it(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post(
                "/v1/convert/json-to-xml", params={"mapping": "fancy"}, json=DOCUMENT
            )
        assert response.status_code == 422
        assert "query.mapping" in _error(response.json())["message"]

    def test_streamed_array_in_constant_memory(self, bridge: RunningBridge) -> None:
        def chunks() -> Iterator[bytes]:
            yield b"["
            for n in range(5000):
                yield (b"," if n else b"") + json.dumps({"n": n, "s": "x" * 50}).encode()
            yield b"]"

        with bridge.client() as client:
            response = client.post(
                "/v1/convert/json-to-xml",
                params={"stream": "true", "mapping": "readable", "root": "rows", "tag": "row"},
                content=chunks(),
            )
        assert response.status_code == 200, response.text[:300]
        assert response.content.count(b"<item>") == 5000
        assert b"<n>4999</n>" in response.content


class TestXmlToJson:
    def test_readable_with_force_list_and_types(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            response = client.post(
                "/v1/convert/xml-to-json",
                params={"mapping": "readable", "force_list": "b", "typed": "true"},
                content=b'<a x="1"><b>2</b></a>',
            )
        assert response.status_code == 200, response.text
        assert response.json() == {"a": {"@x": 1, "b": [2]}}

    def test_entities_are_refused(self, bridge: RunningBridge) -> None:
        bomb = b'<!DOCTYPE a [<!ENTITY e "xxxxxxxxxx"><!ENTITY f "&e;&e;&e;">]><a>&f;</a>'
        with bridge.client() as client:
            response = client.post("/v1/convert/xml-to-json", content=bomb)
        assert response.status_code == 422
        assert "entit" in _error(response.json())["message"]

    def test_external_entity_is_refused(self, bridge: RunningBridge) -> None:
        xxe = b'<!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><a>&x;</a>'
        with bridge.client() as client:
            response = client.post("/v1/convert/xml-to-json", content=xxe)
        assert response.status_code == 422
        assert "root:" not in response.text

    @pytest.mark.parametrize(
        "body",
        [
            pytest.param(b"<a><b></a>", id="mismatched"),
            pytest.param(b"not xml at all", id="text"),
            pytest.param(b"\xff\xfe<a/>", id="bad-encoding"),
        ],
    )
    def test_malformed_xml_is_422(self, bridge: RunningBridge, body: bytes) -> None:
        with bridge.client() as client:
            response = client.post("/v1/convert/xml-to-json", content=body)
        assert response.status_code == 422
        assert _error(response.json())["code"] == "invalid_request"

    def test_streams_records_as_json_lines(self, bridge: RunningBridge) -> None:
        rows = b"".join(b"<row><n>%d</n></row>" % n for n in range(2000))
        with bridge.client() as client:
            response = client.post(
                "/v1/convert/xml-to-json",
                params={"tag": "row", "mapping": "readable", "typed": "true"},
                content=b"<rows>" + rows + b"</rows>",
            )
        assert response.status_code == 200, response.text[:300]
        lines = response.text.splitlines()
        assert len(lines) == 2000
        assert json.loads(lines[-1]) == {"n": 1999}


class TestLimits:
    def test_declared_length_over_the_limit_is_413_before_reading(
        self, bridge: RunningBridge
    ) -> None:
        # The session bridges use the default 64 MiB limit; only the header claims more.
        request = (
            b"POST /v1/convert/json-to-xml HTTP/1.1\r\nHost: bridge\r\n"
            b"Authorization: Bearer " + bridge.token.encode() + b"\r\n"
            b"Content-Type: application/json\r\n"
            b"Content-Length: " + str(64 * 1024 * 1024 + 1).encode() + b"\r\n\r\n[]"
        )
        answer = raw_http(bridge, request)
        assert answer.startswith(b"HTTP/1.1 413 ")
        assert b'"payload_too_large"' in answer
