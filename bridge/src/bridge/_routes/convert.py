"""``/v1/convert/...``: JSON ⇄ XML with docconv, bodies spooled to disk, never all in memory."""

import asyncio
import tempfile
from collections.abc import AsyncIterator, Callable, Iterator
from typing import IO, Annotated, Any, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import Response, StreamingResponse

import docconv
from bridge._deps import SettingsDep
from bridge._errors import ErrorPublic

router = APIRouter(tags=["convert"])

MappingParam = Literal["lossless", "readable", "w3c", "jsonml"]
SPOOL_IN_MEMORY = 1024 * 1024
CHUNK = 64 * 1024

_ERRORS: dict[int | str, dict[str, Any]] = {
    413: {"model": ErrorPublic, "description": "The body exceeds the conversion limit."},
}


async def _spool(request: Request) -> IO[bytes]:
    """Copy the request body into a temporary file (in memory up to 1 MiB, then on disk)."""
    spool: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
    try:
        async for chunk in request.stream():
            spool.write(chunk)
    except BaseException:
        spool.close()
        raise
    spool.seek(0)
    return spool


def _chunks(handle: IO[bytes]) -> Iterator[bytes]:
    while chunk := handle.read(CHUNK):
        yield chunk


async def _stream_file(handle: IO[bytes]) -> AsyncIterator[bytes]:
    try:
        while chunk := await asyncio.to_thread(handle.read, CHUNK):
            yield chunk
    finally:
        handle.close()


async def _convert_streaming(
    source: IO[bytes], produce: Callable[[Iterator[bytes]], Iterator[bytes]]
) -> IO[bytes]:
    """Run a streaming conversion into a spooled file; errors surface before any byte is sent."""

    def work() -> IO[bytes]:
        out: IO[bytes] = tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY)  # noqa: SIM115
        try:
            for piece in produce(_chunks(source)):
                out.write(piece)
        except BaseException:
            out.close()
            raise
        out.seek(0)
        return out

    return await asyncio.to_thread(work)


def _limits(max_bytes: int) -> docconv.Limits:
    return docconv.Limits(max_bytes=max_bytes)


@router.post(
    "/v1/convert/json-to-xml",
    response_class=Response,
    summary="Convert JSON to XML",
    responses={
        200: {"content": {"application/xml": {"schema": {"type": "string"}}}},
        **_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {}}},
            "description": "Any JSON document (with `stream=true`: a JSON array or JSON lines).",
        }
    },
)
async def json_to_xml(
    request: Request,
    settings: SettingsDep,
    mapping: Annotated[
        MappingParam,
        Query(description="`lossless` round-trips exactly; `readable` is xmltodict-style."),
    ] = "lossless",
    root: Annotated[
        str | None,
        Query(max_length=200, description="`readable` only: wrap the value in this element."),
    ] = None,
    stream: Annotated[
        bool, Query(description="Convert a large JSON array or JSON lines item by item.")
    ] = False,
) -> Response:
    """JSON in, UTF-8 XML out. Malformed JSON is a 422 naming the line and column."""
    source = await _spool(request)
    limits = _limits(settings.max_convert_bytes)
    try:
        if stream:
            out = await _convert_streaming(
                source,
                lambda chunks: docconv.stream_json_to_xml(
                    chunks, mapping=mapping, root=root or "root", limits=limits
                ),
            )
            return StreamingResponse(_stream_file(out), media_type="application/xml")
        xml = await asyncio.to_thread(
            docconv.json_to_xml, source, mapping=mapping, root=root, limits=limits
        )
    finally:
        source.close()
    return Response(xml, media_type="application/xml")


@router.post(
    "/v1/convert/xml-to-json",
    response_class=Response,
    summary="Convert XML to JSON",
    responses={
        200: {
            "content": {
                "application/json": {"schema": {}},
                "application/x-ndjson": {"schema": {"type": "string"}},
            }
        },
        **_ERRORS,
    },
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/xml": {"schema": {"type": "string"}}},
            "description": "An XML document. Entities and external DTDs are refused.",
        }
    },
)
async def xml_to_json(
    request: Request,
    settings: SettingsDep,
    mapping: Annotated[
        MappingParam,
        Query(description="`lossless` round-trips exactly; `readable` is xmltodict-style."),
    ] = "lossless",
    typed: Annotated[
        bool, Query(description="`readable` only: numbers and booleans become JSON ones.")
    ] = False,
    force_list: Annotated[
        str | None,
        Query(max_length=2000, description="`readable` only: comma-separated element names."),
    ] = None,
    tag: Annotated[
        str | None,
        Query(
            max_length=200,
            description="Stream: convert each element of this name, as JSON lines.",
        ),
    ] = None,
    indent: Annotated[int | None, Query(ge=0, le=8)] = None,
) -> Response:
    """XML in, JSON out. Malformed XML is a 422 naming the line and column."""
    source = await _spool(request)
    limits = _limits(settings.max_convert_bytes)
    names = [name.strip() for name in force_list.split(",") if name.strip()] if force_list else None
    try:
        if tag:
            out = await _convert_streaming(
                source,
                lambda chunks: docconv.stream_xml_to_json(
                    chunks, tag, mapping=mapping, force_list=names, typed=typed, limits=limits
                ),
            )
            return StreamingResponse(_stream_file(out), media_type="application/x-ndjson")
        text = await asyncio.to_thread(
            docconv.xml_to_json,
            source,
            mapping=mapping,
            indent=indent,
            force_list=names,
            typed=typed,
            limits=limits,
        )
    finally:
        source.close()
    return Response(text, media_type="application/json")
