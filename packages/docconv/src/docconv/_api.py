"""The public conversion functions: whole documents, streams, and the data check."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from decimal import Decimal
from os import PathLike
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, ParamSpec, TypeVar

from docconv._exceptions import DocconvUsageError, LimitExceededError, MappingError
from docconv._jsonml import JsonMLReader, JsonMLWriter
from docconv._jsontext import JsonNumber, Tree
from docconv._readable import ForceList, ReadableReader, ReadableWriter
from docconv._safety import (
    DEFAULT_LIMITS,
    Limits,
    decode_text,
    gc_paused,
    parse_json,
    parse_xml,
    read_all,
)
from docconv._stream import ByteSource, iter_json_values, iter_xml_elements
from docconv._w3c import NS, W3C_TAGS, NumberMode, W3CDecoder, W3CEncoder

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

Mapping = Literal["lossless", "readable", "w3c", "jsonml"]
"""``lossless`` picks ``w3c`` or ``jsonml`` from the input; the others force one mapping."""

XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>\n'
_MAPPINGS = ("lossless", "readable", "w3c", "jsonml")

Source = str | bytes | bytearray | memoryview | PathLike[str] | IO[bytes] | IO[str]


P = ParamSpec("P")
R = TypeVar("R")


def _gc_paused(func: Callable[P, R]) -> Callable[P, R]:
    """Run ``func`` with the cyclic collector paused (see ``gc_paused``)."""

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        with gc_paused():
            try:
                return func(*args, **kwargs)
            except RecursionError:  # a max_depth raised beyond what the interpreter can walk
                raise LimitExceededError(
                    "refused: nested too deeply for this interpreter; lower Limits.max_depth"
                ) from None

    return wrapper


def _check_mapping(mapping: str) -> None:
    if mapping not in _MAPPINGS:
        raise DocconvUsageError(f"mapping must be one of {', '.join(_MAPPINGS)}, not {mapping!r}")


def _raw(source: Source) -> bytes | str:
    if isinstance(source, str | bytes):
        return source
    if isinstance(source, bytearray | memoryview):
        return bytes(source)
    if isinstance(source, PathLike):
        return Path(source).read_bytes()
    return read_all(source)


# ---------------------------------------------------------------- JSON -> XML


@_gc_paused
def json_to_xml(
    source: Source | dict[str, Any] | list[Any] | int | float | Decimal | None,
    *,
    mapping: Mapping = "lossless",
    root: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """Convert JSON text to an XML document.

    ``lossless`` writes the W3C XPath 3.1 form (``fn:json-to-xml``) for any JSON value; a value
    that is canonical JsonML (``["#document", ...]``, as made by ``xml_to_json``) is turned
    back into the XML document it describes. ``readable`` follows xmltodict's ``unparse``.

    Args:
        source: JSON text as ``str``/``bytes``, a path, or a file object; a dict, list,
            number, bool or None is taken as the value itself (a ``str`` is always JSON text:
            use ``value_to_xml`` for a string value).
        mapping: ``lossless``, ``w3c``, ``jsonml`` or ``readable``.
        root: readable mapping only: wrap the value in an element of this name.
        limits: safety bounds.

    Returns:
        UTF-8 XML with an XML declaration.

    Raises:
        MalformedJSONError: the text is not JSON (line and column given).
        MappingError: the value cannot be written with ``mapping``.
        SecurityError: the input exceeds ``limits``.

    Example:
        >>> json_to_xml('{"a": [1.50, null]}')[91:].decode()
        '<array key="a"><number>1.50</number><null/></array></map>'
    """
    _check_mapping(mapping)
    if isinstance(source, dict | list | tuple | int | float | Decimal | type(None)):
        return value_to_xml(source, mapping=mapping, root=root, limits=limits)
    value = parse_json(decode_text(_raw(source)), limits)
    return value_to_xml(value, mapping=mapping, root=root, limits=limits)


@_gc_paused
def value_to_xml(
    value: Any,
    *,
    mapping: Mapping = "lossless",
    root: str | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> bytes:
    """Convert a Python JSON value (dict, list, str, int, float, Decimal, bool, None) to XML.

    Args:
        value: the value; ``JsonNumber`` numbers are written exactly as they read.
        mapping: see ``json_to_xml``.
        root: readable mapping only: wrap the value in an element of this name.
        limits: safety bounds.

    Returns:
        UTF-8 XML with an XML declaration.

    Raises:
        MappingError: the value cannot be written with ``mapping``.
        LimitExceededError: nested deeper than ``limits.max_depth``.
    """
    _check_mapping(mapping)
    out = [XML_DECLARATION]
    if mapping == "readable":
        ReadableWriter(limits.max_depth).document(value, out, root)
    elif mapping == "jsonml":
        JsonMLWriter(limits).document(value, out)
    else:
        if mapping == "lossless" and type(value) is list and value and value[0] == "#document":
            attempt = [XML_DECLARATION]
            try:
                JsonMLWriter(limits, strict=True).document(value, attempt)
            except MappingError:
                pass  # not canonical JsonML: an ordinary JSON value
            else:
                return "".join(attempt).encode("utf-8")
        W3CEncoder(limits.max_depth).encode(value, out)
    return "".join(out).encode("utf-8")


# ---------------------------------------------------------------- XML -> JSON


def _may_declare_namespaces(raw: bytes | str) -> bool:
    """False only when the text certainly declares no namespace (fast path for plain XML)."""
    if isinstance(raw, str):
        return "xmlns" in raw
    if raw[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in raw[:4]:
        return True  # UTF-16/32: a byte search would not find the name
    return b"xmlns" in raw


def _to_python(tree: Tree, mapping: Mapping, limits: Limits, **options: Any) -> tuple[str, Any]:
    root = tree.getroot()
    if mapping in ("lossless", "w3c") and (mapping == "w3c" or root.tag in W3C_TAGS):
        return "w3c", root
    if mapping == "readable":
        reader = ReadableReader(
            limits.max_depth,
            options.get("force_list"),
            typed=options.get("typed", False),
            strict=options.get("strict", True),
            namespaces=options.get("namespaces", True),
        )
        return "value", reader.document(tree)
    namespaces = options.get("namespaces", True)
    return "value", JsonMLReader(limits.max_depth, namespaces=namespaces).document(tree)


def _read_xml(
    source: Source,
    mapping: Mapping,
    limits: Limits,
    force_list: ForceList,
    typed: bool,
    strict: bool,
) -> tuple[Tree, str, Any]:
    """Parse ``source`` safely and map it: the tree, the mapping's kind and its Python data."""
    _check_mapping(mapping)
    raw = _raw(source)
    tree = parse_xml(raw, limits)
    kind, data = _to_python(
        tree,
        mapping,
        limits,
        force_list=force_list,
        typed=typed,
        strict=strict,
        namespaces=_may_declare_namespaces(raw),
    )
    return tree, kind, data


@_gc_paused
def xml_to_json(
    source: Source,
    *,
    mapping: Mapping = "lossless",
    indent: int | None = None,
    force_list: ForceList = None,
    typed: bool = False,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> str:
    """Convert an XML document to JSON text.

    ``lossless`` reads W3C XPath XML (root in ``http://www.w3.org/2005/xpath-functions``) back
    into the JSON it holds, numbers as written; any other document becomes JsonML.

    Args:
        source: XML as ``bytes`` (encoding from the document), ``str``, a path or a file object.
        mapping: ``lossless``, ``w3c``, ``jsonml`` or ``readable``.
        indent: spaces per level, or None for compact output.
        force_list: readable only: elements that are always lists (names, paths or a callable).
        typed: readable only: canonical numbers and booleans become JSON numbers and booleans.
        strict: readable only: raise instead of dropping what the form cannot hold.
        limits: safety bounds.

    Returns:
        JSON text.

    Raises:
        MalformedXMLError: not well-formed (line and column given).
        SecurityError: refused by the safety policy.
        MappingError: the document does not fit ``mapping``.

    Example:
        >>> xml_to_json(b'<a x="1">hi<b/></a>')
        '["#document",["a",{"x":"1"},"hi",["b"]]]'
    """
    tree, kind, data = _read_xml(source, mapping, limits, force_list, typed, strict)
    if kind == "w3c":
        try:
            return W3CDecoder(limits.max_depth).to_text(data, indent)
        except MappingError:
            if mapping == "w3c":
                raise
            data = JsonMLReader(limits.max_depth).document(tree)
    return _dumps(data, indent)


def _dumps(value: Any, indent: int | None) -> str:
    separators = (",", ": ") if indent is not None else (",", ":")
    return json.dumps(
        value, ensure_ascii=False, indent=indent, separators=separators, default=_default
    )


def _default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    raise TypeError(f"{type(value).__name__} is not JSON")


@_gc_paused
def xml_to_value(
    source: Source,
    *,
    mapping: Mapping = "lossless",
    numbers: NumberMode = "native",
    force_list: ForceList = None,
    typed: bool = False,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> Any:
    """Convert an XML document to Python values (what ``json.loads(xml_to_json(...))`` gives).

    Args:
        source: see ``xml_to_json``.
        mapping: see ``xml_to_json``.
        numbers: W3C numbers as ``native`` int/float, ``decimal`` or ``lexical`` (``JsonNumber``).
        force_list: see ``xml_to_json``.
        typed: see ``xml_to_json``.
        strict: see ``xml_to_json``.
        limits: safety bounds.

    Returns:
        The value.

    Raises:
        MalformedXMLError: not well-formed (line and column given).
        SecurityError: refused by the safety policy.
        MappingError: the document does not fit ``mapping``.
    """
    tree, kind, data = _read_xml(source, mapping, limits, force_list, typed, strict)
    if kind == "w3c":
        try:
            return W3CDecoder(limits.max_depth, numbers).to_value(data)
        except MappingError:
            if mapping == "w3c":
                raise
            return JsonMLReader(limits.max_depth).document(tree)
    return data


# ---------------------------------------------------------------- streaming


def iter_xml_records(
    source: ByteSource,
    tag: str,
    *,
    mapping: Mapping = "lossless",
    force_list: ForceList = None,
    typed: bool = False,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[Any]:
    """Convert each ``tag`` element of a large XML document, in constant memory.

    Args:
        source: a binary file or an iterable of byte chunks.
        tag: the repeated element: ``"item"`` (any namespace), ``"{uri}item"``, or ``"*"`` for
            every child of the root.
        mapping: ``lossless``/``jsonml`` gives JsonML elements (namespace declarations in scope
            included, so each record stands alone); ``readable`` the element's readable value;
            ``w3c`` the JSON each W3C element holds.
        force_list: readable only.
        typed: readable only.
        strict: readable only.
        limits: safety bounds; ``max_bytes`` bounds one record.

    Yields:
        One Python value per element.

    Raises:
        MalformedXMLError: not well-formed (line and column given).
        SecurityError: refused by the safety policy.
        MappingError: a record does not fit ``mapping``.
    """
    _check_mapping(mapping)
    if mapping == "readable":
        reader = ReadableReader(limits.max_depth, force_list, typed=typed, strict=strict)
        for el in iter_xml_elements(source, tag, limits):
            parent = el.getparent()
            yield reader.element(el, "", parent.nsmap if parent is not None else None)
    elif mapping == "w3c":
        decoder = W3CDecoder(limits.max_depth, "lexical")
        for el in iter_xml_elements(source, tag, limits):
            yield decoder.to_value(el)
    else:
        jsonml = JsonMLReader(limits.max_depth)
        for el in iter_xml_elements(source, tag, limits):
            yield jsonml.element(el)


def stream_xml_to_json(
    source: ByteSource,
    tag: str,
    *,
    mapping: Mapping = "lossless",
    lines: bool = True,
    force_list: ForceList = None,
    typed: bool = False,
    strict: bool = True,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[bytes]:
    """Convert each ``tag`` element to JSON, as UTF-8 chunks (JSON lines, or one JSON array).

    Args:
        source: a binary file or an iterable of byte chunks.
        tag: see ``iter_xml_records``.
        mapping: see ``iter_xml_records``.
        lines: one JSON value per line (default), or a single JSON array.
        force_list: readable only.
        typed: readable only.
        strict: readable only.
        limits: safety bounds.

    Yields:
        UTF-8 chunks of output, a few hundred records each.

    Raises:
        DocconvError: as ``iter_xml_records``.
    """
    records: Iterator[Any]
    if mapping == "w3c":
        decoder = W3CDecoder(limits.max_depth)
        records = (decoder.to_text(el) for el in iter_xml_elements(source, tag, limits))
        dumps: Callable[[Any], str] = str
    else:
        records = iter_xml_records(
            source,
            tag,
            mapping=mapping,
            force_list=force_list,
            typed=typed,
            strict=strict,
            limits=limits,
        )
        dumps = _compact
    batch: list[str] = [] if lines else ["["]
    first = True
    for record in records:
        if lines:
            batch.append(dumps(record))
            batch.append("\n")
        else:
            batch.append(("" if first else ",") + dumps(record))
        first = False
        if len(batch) >= 512:
            yield "".join(batch).encode("utf-8")
            batch = []
    if not lines:
        batch.append("]\n")
    if batch:
        yield "".join(batch).encode("utf-8")


def _compact(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=_default)


def stream_json_to_xml(
    source: ByteSource,
    *,
    mapping: Mapping = "lossless",
    root: str = "root",
    tag: str = "item",
    lines: bool | None = None,
    limits: Limits = DEFAULT_LIMITS,
) -> Iterator[bytes]:
    """Convert a large JSON array (or JSON lines) to XML in constant memory.

    ``lossless``/``w3c``: a W3C ``<array>`` whose members are the items. ``jsonml``: a
    ``root`` element around the JsonML elements the items describe. ``readable``: a ``root``
    element holding one ``tag`` element per item.

    Args:
        source: a binary file or an iterable of byte chunks holding a JSON array or JSON lines.
        mapping: see above.
        root: wrapper element for ``jsonml`` and ``readable``.
        tag: element of each item for ``readable``.
        lines: True for JSON lines, False for a top-level array, None to decide from the first
            character (JSON lines whose values are arrays, such as JsonML records, need True).
        limits: safety bounds; ``max_bytes`` bounds one item.

    Yields:
        UTF-8 chunks of the XML document.

    Raises:
        MalformedJSONError: not JSON (line and column given).
        MappingError: an item cannot be written with ``mapping``.
    """
    _check_mapping(mapping)
    batch: list[str] = [XML_DECLARATION]
    if mapping in ("lossless", "w3c"):
        encoder = W3CEncoder(limits.max_depth)
        batch.append(f'<array xmlns="{NS}">')
        for item in iter_json_values(source, limits, lines=lines):
            encoder.encode(item, batch, declare=False)
            if len(batch) >= 4096:
                yield "".join(batch).encode("utf-8")
                batch = []
        batch.append("</array>")
    else:
        readable = ReadableWriter(limits.max_depth)
        jsonml = JsonMLWriter(limits)
        batch.append(f"<{root}>")
        ReadableWriter(limits.max_depth).document({root: None}, [])  # validates the name
        ReadableWriter(limits.max_depth).document({tag: None}, [])
        for item in iter_json_values(source, limits, lines=lines):
            if mapping == "readable":
                readable.document({tag: item}, batch)
            else:
                jsonml.document(item, batch)
            if len(batch) >= 4096:
                yield "".join(batch).encode("utf-8")
                batch = []
        batch.append(f"</{root}>")
    batch.append("\n")
    yield "".join(batch).encode("utf-8")


# ---------------------------------------------------------------- check


@dataclass(frozen=True, slots=True)
class CheckResult:
    """Whether a JSON and an XML document hold the same data.

    Attributes:
        equal: True when they do.
        mapping: the mapping used to read the XML.
        difference: where they first differ (a path and both values), or None.
    """

    equal: bool
    mapping: str
    difference: str | None = None


@_gc_paused
def check(
    json_source: Source,
    xml_source: Source,
    *,
    mapping: Mapping = "lossless",
    force_list: ForceList = None,
    typed: bool = False,
    limits: Limits = DEFAULT_LIMITS,
) -> CheckResult:
    """Verify that a JSON document and an XML document hold the same data.

    The XML is read with ``mapping`` and compared with the JSON value: key order of objects
    is ignored, types are not (``"1"`` is not ``1``), numbers compare by value.

    Args:
        json_source: the JSON document.
        xml_source: the XML document.
        mapping: how to read the XML.
        force_list: readable only.
        typed: readable only.
        limits: safety bounds.

    Returns:
        The verdict with the first difference.

    Raises:
        ParseError: either document is malformed.
        SecurityError: refused by the safety policy.
        MappingError: the XML does not fit ``mapping``.
    """
    expected = parse_json(decode_text(_raw(json_source)), limits)
    actual = xml_to_value(
        xml_source,
        mapping=mapping,
        numbers="lexical",
        force_list=force_list,
        typed=typed,
        limits=limits,
    )
    difference = first_difference(expected, actual)
    return CheckResult(equal=difference is None, mapping=mapping, difference=difference)


def _number(value: Any) -> Decimal | None:
    if type(value) is bool:
        return None
    if isinstance(value, JsonNumber | int | float | Decimal):
        return Decimal(str(value))
    return None


def first_difference(expected: Any, actual: Any, path: str = "") -> str | None:
    """Where two JSON values first differ, or None when they are equal.

    Args:
        expected: the reference value.
        actual: the value to check.
        path: prefix for the reported path.

    Returns:
        ``"/a/0: expected 1, found '1'"`` style text, or None.
    """
    a, b = _number(expected), _number(actual)
    if a is not None or b is not None:
        return None if a == b else f"{path or '/'}: expected {expected!r}, found {actual!r}"
    if isinstance(expected, dict) and isinstance(actual, dict):
        for key in expected:
            if key not in actual:
                return f"{path}/{key}: missing in the XML"
            found = first_difference(expected[key], actual[key], f"{path}/{key}")
            if found:
                return found
        extra = [key for key in actual if key not in expected]
        return f"{path}/{extra[0]}: only in the XML" if extra else None
    if isinstance(expected, list) and isinstance(actual, list):
        for index, (left, right) in enumerate(zip(expected, actual, strict=False)):
            found = first_difference(left, right, f"{path}/{index}")
            if found:
                return found
        if len(expected) != len(actual):
            return f"{path or '/'}: {len(expected)} items expected, {len(actual)} found"
        return None
    if type(expected) is type(actual) and expected == actual:
        return None
    if isinstance(expected, str) and isinstance(actual, str) and str(expected) == str(actual):
        return None
    return f"{path or '/'}: expected {expected!r}, found {actual!r}"
