"""Small text helpers shared by the mappings: JSON numbers kept as written, escaping, XML names."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from typing import Any

__all__ = ["JsonNumber"]


class JsonNumber(str):
    """A JSON number kept exactly as written (``"1.50"``, ``"1e3"``, ``"-0"``).

    It is a ``str`` so the text survives every round trip; ``int()``, ``float()`` and
    ``Decimal()`` of it give the numeric value. Writers put it into JSON or XML verbatim.

    Example:
        >>> n = JsonNumber("1.50")
        >>> float(n), str(n)
        (1.5, '1.50')
    """

    __slots__ = ()

    def __repr__(self) -> str:
        return f"JsonNumber({str.__repr__(self)})"

    def to_python(self) -> int | float:
        """The number as ``int`` when written without fraction or exponent, else ``float``.

        Returns:
            The native Python number.
        """
        if _INT.fullmatch(self):
            return int(self)
        return float(self)


class ParsedNumber(JsonNumber):
    """A ``JsonNumber`` made by docconv's own JSON parser: known valid, written without checks."""

    __slots__ = ()


_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
JSON_NUMBER = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")

# Characters XML 1.0 cannot carry at all (besides surrogates, handled by the encoders).
XML_INVALID = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")

encode_json_string = json.encoder.encode_basestring  # C-accelerated, keeps non-ASCII as is


def escape_text(text: str) -> str:
    """Escape character data for XML; ``\\r`` becomes ``&#13;`` so it survives parsing."""
    if "&" in text:
        text = text.replace("&", "&amp;")
    if "<" in text:
        text = text.replace("<", "&lt;")
    if ">" in text:
        text = text.replace(">", "&gt;")
    if "\r" in text:
        text = text.replace("\r", "&#13;")
    return text


_ATTR_TABLE = str.maketrans(
    {"&": "&amp;", "<": "&lt;", '"': "&quot;", "\t": "&#9;", "\n": "&#10;", "\r": "&#13;"}
)
_ATTR_SPECIAL = re.compile('[&<"\t\n\r]')


def escape_attr(value: str) -> str:
    """Escape an attribute value for double quotes, keeping tabs and newlines exact."""
    if _ATTR_SPECIAL.search(value) is None:
        return value
    return value.translate(_ATTR_TABLE)


_NAME_START = (
    "A-Z_a-z\u00c0-\u00d6\u00d8-\u00f6\u00f8-\u02ff\u0370-\u037d\u037f-\u1fff\u200c-\u200d"
    "\u2070-\u218f\u2c00-\u2fef\u3001-\ud7ff\uf900-\ufdcf\ufdf0-\ufffd\U00010000-\U000effff"
)
_NAME_CHAR = _NAME_START + r"\-.0-9\u00b7\u0300-\u036f\u203f-\u2040"
NCNAME = re.compile(f"[{_NAME_START}][{_NAME_CHAR}]*")
QNAME = re.compile(f"(?:[{_NAME_START}][{_NAME_CHAR}]*:)?[{_NAME_START}][{_NAME_CHAR}]*")


def number_text(value: Any) -> str | None:
    """The JSON text of a Python number, or None when ``value`` is not a number.

    Args:
        value: any Python value.

    Returns:
        The text, or None.

    Raises:
        ValueError: the number is NaN or infinite, or a ``JsonNumber`` is not valid JSON.
    """
    kind = type(value)
    if kind is int:
        return int.__repr__(value)
    if kind is float:
        if value != value or value in (float("inf"), float("-inf")):
            raise ValueError(f"{value!r} is not a JSON number")
        return float.__repr__(value)
    if kind is JsonNumber or kind is ParsedNumber:
        if JSON_NUMBER.fullmatch(value) is None:
            raise ValueError(f"{str(value)!r} is not a JSON number")
        return str(value)
    if kind is bool:
        return None
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise ValueError(f"{value!r} is not a JSON number")
        return str(value)
    if isinstance(value, int):
        return int.__repr__(value)
    if isinstance(value, float):
        return number_text(float(value))
    return None


# lxml-stubs lag behind lxml (DocInfo.system_url, DTD.iterentities, clear(keep_tail=...), node
# tags that are factories): the walkers type lxml nodes loosely.
Node = Any
Tree = Any
