"""Streaming in constant memory: repeated XML elements to JSON lines, JSON arrays/lines to XML."""

from __future__ import annotations

import codecs
import json
from collections.abc import Iterable, Iterator
from typing import IO, TYPE_CHECKING, Any

from lxml import etree

from docconv._exceptions import DocconvUsageError, LimitExceededError, MalformedJSONError
from docconv._jsontext import JsonNumber
from docconv._safety import (
    _DECODER_LEXICAL,
    Limits,
    check_docinfo,
    quick_prolog_check,
    translate_syntax_error,
    xinclude_refused,
)

if TYPE_CHECKING:
    from docconv._jsontext import Node

CHUNK = 1 << 16
_NUMBER_CHARS = frozenset("0123456789.eE+-")

ByteSource = IO[bytes] | Iterable[bytes]


def iter_chunks(source: ByteSource, size: int = CHUNK) -> Iterator[bytes]:
    """Byte chunks from a binary file object or an iterable of ``bytes``.

    Args:
        source: a file opened in binary mode, or an iterable of byte strings.
        size: read size for files.

    Yields:
        Non-empty byte strings.

    Raises:
        DocconvUsageError: ``source`` yields text instead of bytes.
    """
    read = getattr(source, "read", None)
    if read is not None:
        while True:
            chunk = read(size)
            if not chunk:
                return
            if not isinstance(chunk, bytes):
                chunk = str(chunk).encode("utf-8")
            yield chunk
    else:
        item: Any
        for item in source:
            chunk = item
            if isinstance(chunk, str):
                raise DocconvUsageError("streaming sources must yield bytes, not str")
            if chunk:
                yield bytes(chunk)


def iter_xml_elements(source: ByteSource, tag: str, limits: Limits) -> Iterator[Node]:
    """Each complete element named ``tag``, cleared once the caller has moved on.

    Args:
        source: the XML document as a binary file or byte chunks.
        tag: ``"item"`` (any namespace), ``"wp:item"`` (by prefix), ``"{uri}item"``, or
            ``"*"`` for the root's children. A matching element nested in another is yielded
            (and emptied) before its ancestor.
        limits: safety bounds; ``max_bytes`` bounds the input read without completing a
            record (so one record's size), not the document.

    Yields:
        The elements, in document order. They are emptied after the next one is read, so
        convert each before asking for the next.

    Raises:
        MalformedXMLError: the document is not well-formed (line and column given).
        SecurityError: refused by the safety policy.
    """
    match: str | None = None if tag == "*" else (tag if tag.startswith("{") else f"{{*}}{tag}")
    prefix = None
    if match is not None and ":" in tag and not tag.startswith("{"):
        prefix, local = tag.split(":", 1)
        match = f"{{*}}{local}"
    parser = etree.XMLPullParser(
        events=("start", "end"),
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=limits.huge_tree,
        remove_comments=False,
        collect_ids=False,
    )
    checked = False
    pending = 0  # bytes fed since the last complete record
    depth = 0
    root_children_depth = 1
    head = b""
    try:
        for chunk in iter_chunks(source):
            if not checked and len(head) < CHUNK:
                head += chunk[: CHUNK - len(head)]
                quick_prolog_check(head, limits)
            parser.feed(chunk)
            pending += len(chunk)
            if limits.max_bytes is not None and pending > limits.max_bytes:
                raise LimitExceededError(
                    f"refused: more than max_bytes={limits.max_bytes} bytes of XML without a"
                    f" complete <{tag}> record"
                )
            event: str
            el: Node
            for event, el in parser.read_events():
                if not checked:
                    check_docinfo(el.getroottree(), limits)
                    checked = True
                if event == "start":
                    if limits.forbid_xinclude and (refused := xinclude_refused(el.tag)):
                        raise refused
                    depth += 1
                    if depth > limits.max_depth:
                        raise LimitExceededError(
                            f"refused: XML nested deeper than {limits.max_depth}"
                        )
                    continue
                depth -= 1
                if (match is None and depth == root_children_depth) or (
                    match is not None
                    and _matches(el, match)
                    and (prefix is None or el.prefix == prefix)
                ):
                    yield el
                    _release(el)
                    pending = 0
        parser.close()
    except etree.XMLSyntaxError as exc:
        raise translate_syntax_error(exc) from None


def _matches(el: Node, match: str) -> bool:
    tag = el.tag
    if not isinstance(tag, str):
        return False
    if match.startswith("{*}"):
        return tag == match[3:] or tag.endswith("}" + match[3:])
    return tag == match


def _release(el: Node) -> None:
    el.clear(keep_tail=True)
    parent = el.getparent()
    if parent is not None:
        while el.getprevious() is not None:
            del parent[0]


class _TextChunks:
    """Incrementally decodes byte chunks (UTF-8, or UTF-16/32 found from the first bytes)."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._decoder: codecs.IncrementalDecoder | None = None

    def next(self) -> str | None:
        for chunk in self._chunks:
            if self._decoder is None:
                encoding = json.detect_encoding(chunk[:4])
                if encoding == "utf-8" and chunk.startswith(codecs.BOM_UTF8):
                    encoding = "utf-8-sig"
                self._decoder = codecs.getincrementaldecoder(encoding)("strict")
            try:
                text = self._decoder.decode(chunk)
            except UnicodeDecodeError as exc:
                raise MalformedJSONError(f"invalid encoding: {exc.reason}") from None
            if text:
                return text
        return None


def iter_json_values(
    source: ByteSource, limits: Limits, *, lines: bool | None = None
) -> Iterator[Any]:
    """Each item of a top-level JSON array, or each value of JSON lines, read incrementally.

    Numbers come back as ``JsonNumber`` (kept as written); duplicate keys are refused.

    Args:
        source: the JSON as a binary file or byte chunks.
        limits: ``max_bytes`` bounds one item, not the whole stream.
        lines: True for JSON lines (values separated by whitespace), False for one top-level
            array, None to decide from the first character (``[`` means an array).

    Yields:
        The values, in order.

    Raises:
        MalformedJSONError: not JSON (line and column given).
        LimitExceededError: one item is larger than ``max_bytes``.
    """
    chunks = _TextChunks(iter_chunks(source))
    decode = _DECODER_LEXICAL.raw_decode
    buf = ""
    pos = 0
    line_base = 0  # newlines consumed before ``buf``
    column_base = 0  # column of ``buf[0]`` on its line
    eof = False
    array = False

    def more() -> bool:
        nonlocal buf, pos, line_base, column_base, eof
        if eof:
            return False
        text = chunks.next()
        if text is None:
            eof = True
            return False
        if pos:
            newlines = buf.count("\n", 0, pos)
            if newlines:
                line_base += newlines
                column_base = pos - (buf.rfind("\n", 0, pos) + 1)
            else:
                column_base += pos
            buf = buf[pos:]
            pos = 0
        buf += text
        if limits.max_bytes is not None and len(buf) > limits.max_bytes + CHUNK:
            raise LimitExceededError(
                f"refused: one JSON item is larger than max_bytes={limits.max_bytes}"
            )
        return True

    def fail(message: str, index: int) -> MalformedJSONError:
        line = line_base + buf.count("\n", 0, index) + 1
        start = buf.rfind("\n", 0, index) + 1
        column = index - start + 1 + (column_base if start == 0 else 0)
        return MalformedJSONError(message, line=line, column=column)

    def skip_ws() -> bool:
        nonlocal pos
        while True:
            length = len(buf)
            while pos < length and buf[pos] in " \t\r\n":
                pos += 1
            if pos < length:
                return True
            if not more():
                return False

    state = "first"  # first | value | value-after-comma | separator
    while True:
        if not skip_ws():
            if array:
                raise fail("unterminated array", pos)
            return
        char = buf[pos]
        if state == "first":
            array = char == "[" if lines is None else not lines
            if array and char != "[":
                raise fail("expected a top-level JSON array", pos)
            state = "value"
            if array:
                pos += 1
                continue
        if array and ((char == "]" and state != "value-after-comma") or state == "separator"):
            if char == "," and state == "separator":
                pos += 1
                state = "value-after-comma"
                continue
            if char != "]":
                raise fail("expected ',' or ']'", pos)
            pos += 1
            if skip_ws():
                raise fail("extra data after the array", pos)
            return
        while True:
            try:
                value, end = decode(buf, pos)
            except json.JSONDecodeError as exc:
                # an incomplete item: read until the buffer has doubled, so that one huge
                # item costs O(n) decoding attempts in total, not O(n^2)
                target = 2 * (len(buf) - pos)
                grew = False
                while more():
                    grew = True
                    if len(buf) - pos >= target:
                        break
                if grew:
                    continue
                raise fail(exc.msg, exc.pos) from None
            except ValueError as exc:
                raise fail(str(exc), pos) from None
            except RecursionError:
                raise LimitExceededError("refused: JSON nested too deeply") from None
            # a top-level number (or literal) may continue in the next chunk: "1" then "2.5"
            scalar = (
                isinstance(value, JsonNumber) or value is True or value is False or value is None
            )
            if scalar and (end == len(buf) or buf[end] in _NUMBER_CHARS) and more():
                continue
            break
        pos = end
        state = "separator" if array else "value"
        yield value
