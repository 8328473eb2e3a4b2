"""Safe parsing of untrusted XML and JSON: parser settings, limits and checks after parsing."""

from __future__ import annotations

import gc
import json
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from typing import IO, TYPE_CHECKING, Any

from lxml import etree

from docconv._exceptions import (
    DocconvUsageError,
    EntitiesForbiddenError,
    ExternalReferenceError,
    LimitExceededError,
    MalformedJSONError,
    MalformedXMLError,
)
from docconv._jsontext import ParsedNumber, Tree

if TYPE_CHECKING:
    from collections.abc import Iterator

__all__ = ["Limits"]


@dataclass(frozen=True, slots=True)
class Limits:
    """Bounds that make untrusted input safe to convert.

    Attributes:
        max_bytes: largest whole document accepted by the in-memory functions (streaming
            functions apply it to each record instead). ``None`` means no bound.
        max_depth: deepest nesting of elements or JSON containers. libxml2 itself stops at
            256 unless ``huge_tree`` is set, so values above 256 also need ``huge_tree``.
        huge_tree: lift libxml2's own limits (depth 256, text nodes of 10 MB). Off by default.
        forbid_entities: refuse documents that declare entities (bombs, XXE). On by default.
        forbid_external: refuse documents that refer to an external DTD. On by default; nothing
            is ever fetched either way.
        forbid_xinclude: refuse documents with XInclude elements. docconv never processes
            them, but the XML it writes may reach a tool that does (a file-read primitive),
            so they are refused by default. Off keeps them as ordinary elements.
    """

    max_bytes: int | None = 256 * 1024 * 1024
    max_depth: int = 256
    huge_tree: bool = False
    forbid_entities: bool = True
    forbid_external: bool = True
    forbid_xinclude: bool = True

    def __post_init__(self) -> None:
        if self.max_bytes is not None and self.max_bytes < 1:
            raise DocconvUsageError(f"max_bytes must be positive or None, not {self.max_bytes}")
        if self.max_depth < 1:
            raise DocconvUsageError(f"max_depth must be positive, not {self.max_depth}")


DEFAULT_LIMITS = Limits()

_gc_lock = threading.Lock()
_gc_pauses = 0
_gc_was_enabled = False


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while a large tree of lists and dicts is built.

    Building millions of containers triggers many full collections that find nothing (the
    values hold no cycles); pausing them makes conversion about a third faster. Thread-safe:
    the collector is re-enabled when the last concurrent pause ends, and only if it was on.

    Yields:
        Nothing.
    """
    global _gc_pauses, _gc_was_enabled
    with _gc_lock:
        if _gc_pauses == 0:
            _gc_was_enabled = gc.isenabled()
            gc.disable()
        _gc_pauses += 1
    try:
        yield
    finally:
        with _gc_lock:
            _gc_pauses -= 1
            if _gc_pauses == 0 and _gc_was_enabled:
                gc.enable()


def make_parser(
    limits: Limits, encoding: str | None = None, *, external_dtd: bool = False
) -> etree.XMLParser:
    """A fresh lxml parser that resolves nothing, fetches nothing and keeps every node.

    Args:
        limits: the safety bounds.
        encoding: override the document's declared encoding (for text already decoded).
        external_dtd: the document names an external DTD and it is allowed. libxml2 then
            needs ``collect_ids`` on, or it tries (and, without network, fails) to load the DTD;
            otherwise ``collect_ids`` stays off so that ``xml:id`` values are not validated
            (an invalid one is not a well-formedness error).

    Returns:
        An ``XMLParser`` (parsers are not thread-safe, so callers take a new one per call).
    """
    return etree.XMLParser(
        encoding=encoding,
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=limits.huge_tree,
        remove_blank_text=False,
        remove_comments=False,
        remove_pis=False,
        strip_cdata=True,
        collect_ids=external_dtd,
    )


_LIMIT_WORDS = ("amplification", "Excessive depth", "huge", "too large", "exceeds", "loop")


def translate_syntax_error(exc: etree.XMLSyntaxError) -> Exception:
    """Map an lxml syntax error to a docconv error with line and column.

    Args:
        exc: the lxml error.

    Returns:
        A ``LimitExceededError``/``EntitiesForbiddenError`` for libxml2's own safety stops,
        else a ``MalformedXMLError``.
    """
    raw = str(exc.msg) if exc.msg else str(exc)
    reason = re.sub(r", line \d+, column \d+.*$", "", raw)
    position: Any = exc.position
    line, column = position if position else (exc.lineno, None)
    if "network entity" in raw or "failed to load" in raw:
        return ExternalReferenceError(
            f"refused: the document refers to an external resource ({reason}); nothing is fetched"
        )
    if "entity reference loop" in raw or "amplification" in raw:
        return EntitiesForbiddenError(
            f"refused: entity expansion attack ({reason}); documents may not declare entities"
        )
    if any(word in raw for word in _LIMIT_WORDS):
        return LimitExceededError(f"refused: {reason} (line {line}, column {column})")
    return MalformedXMLError(reason, line=line, column=column)


def check_docinfo(tree: Tree, limits: Limits) -> None:
    """Refuse documents that declare entities or name an external DTD.

    Args:
        tree: the parsed document.
        limits: the safety bounds.

    Raises:
        EntitiesForbiddenError: entities are declared and ``forbid_entities`` is set.
        ExternalReferenceError: an external DTD is named and ``forbid_external`` is set.
    """
    info = tree.docinfo
    if limits.forbid_external and (info.system_url or info.public_id):
        raise ExternalReferenceError(
            "refused: the document refers to an external DTD"
            f" ({info.system_url or info.public_id});"
            " docconv never fetches it and does not convert such documents by default"
        )
    dtd = info.internalDTD
    if dtd is not None and limits.forbid_entities:
        names = [entity.name for entity in dtd.iterentities()]
        if names:
            external = [e.name for e in dtd.iterentities() if e.system_url]
            kind = "external entities (XXE)" if external else "entities"
            raise EntitiesForbiddenError(
                f"refused: the document declares {kind} {', '.join(sorted(set(names)))};"
                " entity declarations are forbidden (entity bombs, XXE)"
            )


XINCLUDE_NAMESPACES = ("http://www.w3.org/2001/XInclude", "http://www.w3.org/2003/XInclude")
_XINCLUDE_XPATH = etree.XPath(
    "//*[namespace-uri() = $a or namespace-uri() = $b]",
)


def xinclude_refused(tag: str) -> ExternalReferenceError | None:
    """The error for an element in an XInclude namespace, else ``None``.

    Args:
        tag: the element's ``{namespace}local`` tag.

    Returns:
        An ``ExternalReferenceError`` to raise, or ``None`` when the tag is not XInclude.
    """
    for namespace in XINCLUDE_NAMESPACES:
        if tag.startswith("{" + namespace + "}"):
            return ExternalReferenceError(
                f"refused: the document has an XInclude <{tag[len(namespace) + 2 :]}> element,"
                " a reference to an external resource; docconv never fetches it and does not"
                " convert such documents by default (Limits(forbid_xinclude=False) keeps it)"
            )
    return None


def check_xinclude(data: bytes, tree: Tree, limits: Limits) -> None:
    """Refuse a parsed document that contains XInclude elements.

    Args:
        data: the document's bytes, for a quick test that skips the tree walk.
        tree: the parsed document.
        limits: the safety bounds.

    Raises:
        ExternalReferenceError: an XInclude element is present and ``forbid_xinclude`` is set.
    """
    # The namespace URI is written out, or built from character references.
    if not limits.forbid_xinclude or (b"XInclude" not in data and b"&#" not in data):
        return
    found = _XINCLUDE_XPATH(tree, a=XINCLUDE_NAMESPACES[0], b=XINCLUDE_NAMESPACES[1])
    if isinstance(found, list) and found:
        element = found[0]
        error = xinclude_refused(str(element.tag)) if isinstance(element, etree._Element) else None
        if error is not None:
            raise error


_EXTERNAL_DTD = re.compile(rb"<!DOCTYPE\s+[^\s\[>]+\s+(?:SYSTEM|PUBLIC)\s")


def quick_prolog_check(head: bytes, limits: Limits) -> None:
    """Refuse external DTDs and parameter entities before libxml2 looks at them.

    Args:
        head: the first bytes of the document.
        limits: the safety bounds.

    Raises:
        ExternalReferenceError: the doctype names an external DTD.
        EntitiesForbiddenError: a parameter entity is declared.
    """
    if limits.forbid_external and b"<!DOCTYPE" in head:
        match = _EXTERNAL_DTD.search(head)
        if match:
            raise ExternalReferenceError(
                "refused: the document refers to an external DTD"
                f" ({match.group().decode('utf-8', 'replace').strip()} ...);"
                " docconv never fetches it and does not convert such documents by default"
            )
    if limits.forbid_entities and b"<!ENTITY" in head and b"%" in head:
        match = re.search(rb"<!ENTITY\s+%\s*([^\s\"']+)", head)
        if match:
            name = match.group(1).decode("utf-8", "replace")
            raise EntitiesForbiddenError(
                f"refused: the document declares the parameter entity %{name};"
                " entity declarations are forbidden (entity bombs, XXE)"
            )


def parse_xml(data: bytes | str, limits: Limits) -> Tree:
    """Parse a whole XML document safely.

    Args:
        data: the document; ``str`` is taken as already decoded text.
        limits: the safety bounds.

    Returns:
        The parsed tree.

    Raises:
        MalformedXMLError: the document is not well-formed.
        SecurityError: the safety policy refuses it.
    """
    encoding = None
    if isinstance(data, str):
        data = data.encode("utf-8")
        encoding = "utf-8"
    external = not limits.forbid_external and _EXTERNAL_DTD.search(data[:65536]) is not None
    parser = make_parser(limits, encoding, external_dtd=external)
    if limits.max_bytes is not None and len(data) > limits.max_bytes:
        raise LimitExceededError(
            f"refused: the document has {len(data)} bytes, more than max_bytes={limits.max_bytes};"
            " use the streaming functions or raise the limit"
        )
    quick_prolog_check(data[:65536], limits)
    if not data.strip():
        raise MalformedXMLError("empty document", line=1, column=1)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise translate_syntax_error(exc) from None
    tree = root.getroottree()
    check_docinfo(tree, limits)
    check_xinclude(data, tree, limits)
    return tree


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise ValueError(f"duplicate key {key!r}")
            seen.add(key)
    return result


_DECODER_LEXICAL = json.JSONDecoder(
    parse_float=ParsedNumber,
    parse_int=ParsedNumber,
    parse_constant=_no_constants,
    object_pairs_hook=_pairs,
)
_DECODER_NATIVE = json.JSONDecoder(parse_constant=_no_constants, object_pairs_hook=_pairs)


def _position(text: str, index: int) -> tuple[int, int]:
    line = text.count("\n", 0, index) + 1
    column = index - (text.rfind("\n", 0, index) + 1) + 1
    return line, column


def decode_text(data: bytes | bytearray | memoryview | str) -> str:
    """Decode JSON bytes (UTF-8/16/32, with or without BOM) to text.

    Args:
        data: the raw JSON.

    Returns:
        The text.

    Raises:
        MalformedJSONError: the bytes are not valid in the detected encoding.
    """
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    raw = bytes(data)
    try:
        text = json.detect_encoding(raw)
        return raw.decode(text).removeprefix("\ufeff")
    except UnicodeDecodeError as exc:
        prefix = raw[: exc.start].decode("utf-8", "replace")
        line, column = _position(prefix, len(prefix))
        raise MalformedJSONError(
            f"invalid encoding: {exc.reason}", line=line, column=column
        ) from None


def parse_json(text: str, limits: Limits, *, lexical: bool = True) -> Any:
    """Parse JSON text into Python values, refusing duplicates, NaN and too deep nesting.

    Args:
        text: JSON text.
        limits: the safety bounds (size and depth).
        lexical: keep numbers as ``JsonNumber`` (their text as written) instead of int/float.

    Returns:
        The value; objects are dicts in document order.

    Raises:
        MalformedJSONError: the text is not JSON, or has duplicate keys.
        LimitExceededError: the text is larger than allowed or nested beyond Python's
            recursion limit (converters check ``max_depth`` as they walk the value).
    """
    if limits.max_bytes is not None and len(text) > limits.max_bytes:
        raise LimitExceededError(
            f"refused: the JSON text has {len(text)} characters,"
            f" more than max_bytes={limits.max_bytes}"
        )
    decoder = _DECODER_LEXICAL if lexical else _DECODER_NATIVE
    try:
        return decoder.decode(text)
    except json.JSONDecodeError as exc:
        raise MalformedJSONError(exc.msg, line=exc.lineno, column=exc.colno) from None
    except ValueError as exc:
        raise MalformedJSONError(str(exc)) from None
    except RecursionError:
        raise LimitExceededError("refused: the JSON is nested too deeply") from None


def read_all(source: IO[bytes] | IO[str]) -> bytes | str:
    """Read a whole file-like object.

    Args:
        source: a binary or text file.

    Returns:
        Its content.

    Raises:
        DocconvUsageError: ``source`` has no ``read``.
    """
    read = getattr(source, "read", None)
    if read is None:
        raise DocconvUsageError(
            f"expected str, bytes or a file object, got {type(source).__name__}"
        )
    data = read()
    if not isinstance(data, bytes | str):
        raise DocconvUsageError("the file object's read() returned neither bytes nor str")
    return data
