"""The W3C XPath 3.1 mapping of JSON to XML (``fn:json-to-xml``) and back (``fn:xml-to-json``).

JSON is written as ``<map>``, ``<array>``, ``<string>``, ``<number>``, ``<boolean>`` and ``<null>``
elements in the ``http://www.w3.org/2005/xpath-functions`` namespace; object members carry their
name in ``key``. As with ``escape=true``, a string or key that contains a control character, a
character XML cannot carry (lone surrogates, U+FFFE/FFFF), U+007F-U+009F or a backslash is written
with JSON escapes and flagged ``escaped="true"`` / ``escaped-key="true"``. Numbers keep the text
they were written with.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any, Literal

from lxml import etree

from docconv._exceptions import LimitExceededError, MappingError, UnrepresentableError
from docconv._jsontext import (
    JSON_NUMBER,
    JsonNumber,
    Node,
    ParsedNumber,
    encode_json_string,
    escape_attr,
    escape_text,
    number_text,
)

if TYPE_CHECKING:
    from collections.abc import Callable

NS = "http://www.w3.org/2005/xpath-functions"
_MAP, _ARRAY, _STRING = f"{{{NS}}}map", f"{{{NS}}}array", f"{{{NS}}}string"
_NUMBER, _BOOLEAN, _NULL = f"{{{NS}}}number", f"{{{NS}}}boolean", f"{{{NS}}}null"
W3C_TAGS = frozenset({_MAP, _ARRAY, _STRING, _NUMBER, _BOOLEAN, _NULL})

NumberMode = Literal["lexical", "native", "decimal"]

_SPECIAL = re.compile("[\x00-\x1f\x7f-\x9f\\\\\ufffe\uffff\ud800-\udfff]")
# _SPECIAL plus the characters XML text must escape: a string without any is written as is
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\\\\\ufffe\uffff\ud800-\udfff&<>]")
_SHORT = {"\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\\": "\\\\"}


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    return _SHORT.get(char) or f"\\u{ord(char):04X}"


def w3c_escape(text: str) -> str:
    """Write the special characters of ``text`` as JSON escapes (the ``escaped="true"`` form)."""
    return _SPECIAL.sub(_escape_one, text)


_UNESCAPE = re.compile(r'\\(?:(["\\/bfnrt])|u([0-9a-fA-F]{4}))|\\')
_SINGLE = {'"': '"', "\\": "\\", "/": "/", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t"}


def _unescape_one(match: re.Match[str]) -> str:
    short, code = match.group(1), match.group(2)
    if short is not None:
        return _SINGLE[short]
    if code is not None:
        return chr(int(code, 16))
    raise UnrepresentableError("invalid JSON escape sequence in an escaped string")


def w3c_unescape(text: str) -> str:
    """Decode the JSON escapes of an ``escaped="true"`` string (surrogate pairs are joined)."""
    if "\\" not in text:
        return text
    result = _UNESCAPE.sub(_unescape_one, text)
    if re.search("[\ud800-\udbff][\udc00-\udfff]", result):
        result = result.encode("utf-16", "surrogatepass").decode("utf-16", "surrogatepass")
    return result


_SURROGATE = re.compile("[\ud800-\udfff]")


def json_string(text: str) -> str:
    """JSON string literal of ``text`` that stays valid UTF-8 (lone surrogates as ``\\uXXXX``)."""
    literal: str = encode_json_string(text)
    if _SURROGATE.search(literal):
        literal = _SURROGATE.sub(lambda m: f"\\u{ord(m.group()):04x}", literal)
    return literal


# ---------------------------------------------------------------- JSON value -> XML text


class W3CEncoder:
    """Writes a JSON value (Python objects) as W3C XPath XML text.

    Args:
        max_depth: deepest nesting allowed.
    """

    __slots__ = ("_keys", "max_depth")

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self._keys: dict[str, str] = {}

    def encode(self, value: Any, out: list[str], *, declare: bool = True) -> None:
        """Append the XML of ``value`` to ``out``.

        Args:
            value: dict, list, tuple, str, int, float, Decimal, JsonNumber, bool or None.
            out: the list of text pieces to extend.
            declare: put the namespace declaration on this element (the root).

        Raises:
            UnrepresentableError: a value that is not JSON (NaN, a set, a non-string key).
            LimitExceededError: nesting deeper than ``max_depth``.
        """
        self._value(value, out, f' xmlns="{NS}"' if declare else "", 0)

    def _key(self, key: Any) -> str:
        if type(key) is not str:
            if not isinstance(key, str):
                raise UnrepresentableError(f"object key {key!r} is not a string", path=f"/{key!r}")
            key = str(key)
        if _SPECIAL.search(key) is not None:
            attr = f' key="{escape_attr(w3c_escape(key))}" escaped-key="true"'
        else:
            attr = f' key="{escape_attr(key)}"'
        if len(self._keys) < 65536:  # keys repeat across records: cache their attribute text
            self._keys[key] = attr
        return attr

    def _value(self, value: Any, out: list[str], attrs: str, depth: int) -> None:
        kind = type(value)
        if kind is str:
            if _UNSAFE.search(value) is None:
                out.append(f"<string{attrs}>{value}</string>" if value else f"<string{attrs}/>")
            elif _SPECIAL.search(value) is not None:
                out.append(
                    f'<string{attrs} escaped="true">{escape_text(w3c_escape(value))}</string>'
                )
            else:
                out.append(f"<string{attrs}>{escape_text(value)}</string>")
        elif kind is dict:
            if not value:
                out.append(f"<map{attrs}/>")
                return
            if depth >= self.max_depth:
                raise LimitExceededError(f"refused: JSON nested deeper than {self.max_depth}")
            out.append(f"<map{attrs}>")
            keys = self._keys
            depth += 1
            for key, item in value.items():
                key_attr = keys.get(key) or self._key(key)
                # strings and parsed numbers inline: most members of data documents
                item_kind = type(item)
                if item_kind is str and item and _UNSAFE.search(item) is None:
                    out.append(f"<string{key_attr}>{item}</string>")
                elif item_kind is ParsedNumber:
                    out.append(f"<number{key_attr}>{item}</number>")
                else:
                    try:
                        self._value(item, out, key_attr, depth)
                    except MappingError as exc:
                        raise _prefixed(exc, key) from None
            out.append("</map>")
        elif kind is list or kind is tuple:
            if not value:
                out.append(f"<array{attrs}/>")
                return
            if depth >= self.max_depth:
                raise LimitExceededError(f"refused: JSON nested deeper than {self.max_depth}")
            out.append(f"<array{attrs}>")
            for index, item in enumerate(value):
                try:
                    self._value(item, out, "", depth + 1)
                except MappingError as exc:
                    raise _prefixed(exc, str(index)) from None
            out.append("</array>")
        elif kind is ParsedNumber:
            out.append(f"<number{attrs}>{value}</number>")
        elif value is True:
            out.append(f"<boolean{attrs}>true</boolean>")
        elif value is False:
            out.append(f"<boolean{attrs}>false</boolean>")
        elif value is None:
            out.append(f"<null{attrs}/>")
        else:
            self._other(value, out, attrs, depth)

    def _other(self, value: Any, out: list[str], attrs: str, depth: int) -> None:
        try:
            text = number_text(value)
        except ValueError as exc:
            raise UnrepresentableError(str(exc)) from None
        if text is not None:
            out.append(f"<number{attrs}>{text}</number>")
        elif isinstance(value, str):
            self._value(str(value), out, attrs, depth)
        elif isinstance(value, dict):
            self._value(dict(value), out, attrs, depth)
        elif isinstance(value, list | tuple):
            self._value(list(value), out, attrs, depth)
        else:
            raise UnrepresentableError(f"{type(value).__name__} is not a JSON value")


def _prefixed(exc: MappingError, step: str) -> MappingError:
    path = f"/{step}{exc.path}"
    message = str(exc)
    if exc.path and message.endswith(f" at {exc.path}"):
        message = message[: -len(f" at {exc.path}")]
    return type(exc)(message, path=path)


# ---------------------------------------------------------------- XML tree -> JSON


def _where(el: Node) -> str:
    line = getattr(el, "sourceline", None)
    return f" (line {line})" if line else ""


def _check_blank(el: Node, text: str | None) -> None:
    if text is not None and text.strip():
        raise MappingError(
            f"unexpected text {text.strip()[:30]!r} inside <{_local(el)}>{_where(el)}"
        )


def _local(el: Node) -> str:
    return etree.QName(el).localname if isinstance(el.tag, str) else "?"


def _flag(el: Node, name: str) -> bool:
    value = el.get(name)
    if value is None:
        return False
    value = value.strip()
    if value in ("true", "1"):
        return True
    if value in ("false", "0"):
        return False
    raise MappingError(f"{name}={value!r} is not a boolean{_where(el)}")


def _string_value(el: Node) -> str:
    if len(el):
        parts = [el.text or ""]
        for child in el:
            if isinstance(child.tag, str):
                raise MappingError(f"<{_local(el)}> may not contain elements{_where(el)}")
            parts.append(child.tail or "")
        return "".join(parts)
    return el.text or ""


_DOUBLE = re.compile(r"\s*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?\s*")


def number_of(el: Node) -> str:
    """The JSON text of a ``<number>`` element: as written when it is JSON, else normalised.

    Args:
        el: the element.

    Returns:
        A valid JSON number.

    Raises:
        UnrepresentableError: NaN, INF or not a number at all.
    """
    text = _string_value(el)
    if JSON_NUMBER.fullmatch(text) is not None:
        return text
    if _DOUBLE.fullmatch(text) is None:
        raise UnrepresentableError(f"{text.strip()!r} is not a JSON number{_where(el)}")
    try:
        normal = str(Decimal(text.strip()))
    except InvalidOperation:  # pragma: no cover - the regex admits only valid decimals
        raise UnrepresentableError(f"{text!r} is not a number{_where(el)}") from None
    return normal if JSON_NUMBER.fullmatch(normal) else str(float(normal))


def _boolean_of(el: Node) -> bool:
    text = _string_value(el).strip()
    if text in ("true", "1"):
        return True
    if text in ("false", "0"):
        return False
    raise MappingError(f"{text!r} is not a boolean{_where(el)}")


def _key_of(el: Node) -> str:
    key = el.get("key")
    if key is None:
        raise MappingError(f"a member of <map> has no key attribute{_where(el)}")
    if _flag(el, "escaped-key"):
        return w3c_unescape(key)
    return str(key)


class W3CDecoder:
    """Reads W3C XPath XML (a parsed tree) back into JSON text or Python values.

    Args:
        max_depth: deepest nesting allowed.
        numbers: for Python values, ``"lexical"`` (``JsonNumber``), ``"native"`` (int/float) or
            ``"decimal"`` (int/Decimal).
    """

    __slots__ = ("_convert", "_keys", "max_depth")

    def __init__(self, max_depth: int, numbers: NumberMode = "native") -> None:
        self.max_depth = max_depth
        self._keys: dict[str, str] = {}
        convert: Callable[[str], Any]
        if numbers == "lexical":
            convert = JsonNumber
        elif numbers == "decimal":
            convert = _to_decimal
        else:
            convert = _to_native
        self._convert = convert

    def _key_literal(self, key: str) -> str:
        literal = json_string(key)
        if len(self._keys) < 65536:  # keys repeat across records: cache their JSON text
            self._keys[key] = literal
        return literal

    def to_text(self, el: Node, indent: int | None = None) -> str:
        """JSON text of the value ``el`` holds, numbers exactly as written.

        Args:
            el: a W3C element (the root of a tree, usually).
            indent: spaces per level, or None for compact output.

        Returns:
            The JSON text.

        Raises:
            MappingError: the XML does not follow the mapping.
        """
        out: list[str] = []
        self._text(el, out, 0, "\n" if indent is not None else "", " " * (indent or 0))
        return "".join(out)

    def _text(self, el: Node, out: list[str], depth: int, nl: str, pad: str) -> None:
        tag = el.tag
        if tag == _STRING:
            text = _string_value(el) if len(el) else (el.text or "")
            if el.get("escaped") is not None and _flag(el, "escaped"):
                out.append(json_string(w3c_unescape(text)))
            else:
                out.append(encode_json_string(text))
        elif tag == _NUMBER:
            text = el.text
            if len(el) or text is None or JSON_NUMBER.fullmatch(text) is None:
                text = number_of(el)
            out.append(text)
        elif tag == _MAP:
            if depth >= self.max_depth:
                raise LimitExceededError(f"refused: nested deeper than {self.max_depth}")
            _check_blank(el, el.text)
            inner = nl + pad * (depth + 1) if nl else ""
            out.append("{")
            seen: set[str] = set()
            first = True
            colon = ": " if nl else ":"
            keys = self._keys
            for child in el:
                tail = child.tail
                if tail and not tail.isspace():
                    _check_blank(el, tail)
                ctag = child.tag
                if ctag.__class__ is not str:
                    continue
                attributes = child.items()
                plain = len(attributes) == 1 and attributes[0][0] == "key"
                if plain:  # the usual member: a key and nothing else
                    key = attributes[0][1]
                    literal = keys.get(key) or self._key_literal(key)
                else:
                    key = _key_of(child)
                    literal = json_string(key)
                if key in seen:
                    raise MappingError(f"duplicate key {key!r}{_where(child)}")
                seen.add(key)
                if first:
                    first = False
                    out.append(f"{inner}{literal}{colon}")
                else:
                    out.append(f",{inner}{literal}{colon}")
                # leaves inline: the members of data documents are mostly strings and numbers
                if ctag == _STRING and plain and not len(child):
                    out.append(encode_json_string(child.text or ""))
                elif ctag == _NUMBER and not len(child):
                    text = child.text
                    if text is None or JSON_NUMBER.fullmatch(text) is None:
                        text = number_of(child)
                    out.append(text)
                else:
                    self._text(child, out, depth + 1, nl, pad)
            if not first and nl:
                out.append(nl + pad * depth)
            out.append("}")
        elif tag == _ARRAY:
            if depth >= self.max_depth:
                raise LimitExceededError(f"refused: nested deeper than {self.max_depth}")
            _check_blank(el, el.text)
            inner = nl + pad * (depth + 1) if nl else ""
            out.append("[")
            first = True
            for child in el:
                _check_blank(el, child.tail)
                if not isinstance(child.tag, str):
                    continue
                if not first:
                    out.append(",")
                first = False
                out.append(inner)
                self._text(child, out, depth + 1, nl, pad)
            if not first and nl:
                out.append(nl + pad * depth)
            out.append("]")
        elif tag == _BOOLEAN:
            out.append("true" if _boolean_of(el) else "false")
        elif tag == _NULL:
            _check_null(el)
            out.append("null")
        else:
            raise MappingError(f"unexpected element {tag!r} in the W3C JSON mapping{_where(el)}")

    def to_value(self, el: Node, depth: int = 0) -> Any:
        """The Python value ``el`` holds.

        Args:
            el: a W3C element.
            depth: current nesting (internal).

        Returns:
            dict (in document order), list, str, number, bool or None.

        Raises:
            MappingError: the XML does not follow the mapping.
        """
        tag = el.tag
        if tag == _STRING:
            text = _string_value(el) if len(el) else (el.text or "")
            if el.get("escaped") is not None and _flag(el, "escaped"):
                return w3c_unescape(text)
            return text
        if tag == _NUMBER:
            text = el.text
            if len(el) or text is None or JSON_NUMBER.fullmatch(text) is None:
                text = number_of(el)
            return self._convert(text)
        if tag in (_MAP, _ARRAY):
            if depth >= self.max_depth:
                raise LimitExceededError(f"refused: nested deeper than {self.max_depth}")
            _check_blank(el, el.text)
            if tag == _ARRAY:
                items = []
                for child in el:
                    _check_blank(el, child.tail)
                    if isinstance(child.tag, str):
                        items.append(self.to_value(child, depth + 1))
                return items
            result: dict[str, Any] = {}
            for child in el:
                _check_blank(el, child.tail)
                if not isinstance(child.tag, str):
                    continue
                key = _key_of(child)
                if key in result:
                    raise MappingError(f"duplicate key {key!r}{_where(child)}")
                result[key] = self.to_value(child, depth + 1)
            return result
        if tag == _BOOLEAN:
            return _boolean_of(el)
        if tag == _NULL:
            _check_null(el)
            return None
        raise MappingError(f"unexpected element {tag!r} in the W3C JSON mapping{_where(el)}")


def _check_null(el: Node) -> None:
    if _string_value(el).strip():
        raise MappingError(f"<null> must be empty{_where(el)}")


def _to_native(text: str) -> int | float:
    return JsonNumber(text).to_python()


def _to_decimal(text: str) -> int | Decimal:
    value = JsonNumber(text).to_python()
    return value if type(value) is int else Decimal(text)


def is_w3c_root(el: Node) -> bool:
    """Whether ``el`` is an element of the W3C JSON mapping."""
    return el.tag in W3C_TAGS
