"""The readable mapping, in xmltodict's conventions, without its silent losses.

An element becomes a key; attributes become ``"@name"`` keys, text next to attributes or
children becomes ``"#text"``; repeated children become a list; an element with only text
becomes a string and an empty one ``None``. Prefixed names are kept as written and namespace
declarations are ``"@xmlns:p"`` attributes, as xmltodict does by default.

Unlike xmltodict, lists can be forced (by element name, by path, or from an XSD), scalars can be
typed, and whatever this form cannot hold (mixed content, comments and instructions inside the
root, siblings whose order would be lost) is an error unless ``strict=False``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Collection
from decimal import Decimal
from pathlib import Path
from typing import Any

from lxml import etree

from docconv._exceptions import (
    InvalidNameError,
    LimitExceededError,
    LossyConversionError,
    MappingError,
    UnrepresentableError,
)
from docconv._jsontext import (
    NCNAME,
    QNAME,
    XML_INVALID,
    JsonNumber,
    Node,
    Tree,
    escape_attr,
    escape_text,
    number_text,
)

ForceList = Collection[str] | Callable[[str, str], bool] | None
"""Element names (``"item"``), paths (``"/rss/channel/item"``, ``*`` matches one step) or a
``(path, name) -> bool`` callable whose elements are always lists."""

XML_NS = "http://www.w3.org/XML/1998/namespace"
_Comment = etree.Comment
_PI = etree.ProcessingInstruction
_INT = re.compile(r"-?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?")


def _matcher(force_list: ForceList) -> Callable[[str, str], bool]:
    if force_list is None:
        return lambda path, name: False
    if callable(force_list):
        return force_list
    names = {entry for entry in force_list if "/" not in entry}
    patterns = [
        re.compile(
            "/".join(re.escape(step) if step != "*" else "[^/]+" for step in entry.split("/"))
        )
        for entry in force_list
        if "/" in entry
    ]

    def forced(path: str, name: str) -> bool:
        return name in names or any(p.fullmatch(path) for p in patterns)

    return forced


def force_list_from_xsd(xsd: str | bytes | Path) -> frozenset[str]:
    """Names of the elements an XML Schema allows to repeat (``maxOccurs`` other than 1).

    Args:
        xsd: the schema text, or a path to it.

    Returns:
        Element names to pass as ``force_list``.

    Raises:
        MalformedXMLError: the schema is not well-formed.
    """
    from docconv._safety import DEFAULT_LIMITS, parse_xml

    data = xsd.read_bytes() if isinstance(xsd, Path) else xsd
    root = parse_xml(data, DEFAULT_LIMITS).getroot()
    xs = "{http://www.w3.org/2001/XMLSchema}"
    names: set[str] = set()
    for el in root.iter(f"{xs}element"):
        repeats = el.get("maxOccurs", "1") != "1"
        parent = el.getparent()
        while not repeats and parent is not None and parent.tag in (f"{xs}sequence", f"{xs}choice"):
            repeats = parent.get("maxOccurs", "1") != "1"
            parent = parent.getparent()
        name = el.get("name") or (el.get("ref") or "").rsplit(":", 1)[-1]
        if repeats and name:
            names.add(name)
    return frozenset(names)


def typed_scalar(text: str) -> Any:
    """``text`` as int, float or bool when that reads back as exactly the same text, else itself."""
    if text in ("true", "false"):
        return text == "true"
    if _INT.fullmatch(text):
        return int(text)
    if _FLOAT.fullmatch(text):
        value = float(text)
        if repr(value) == text:
            return value
    return text


class ReadableReader:
    """Turns a parsed XML tree into the readable form.

    Args:
        max_depth: deepest nesting allowed.
        force_list: elements that are always lists.
        typed: turn numbers and booleans written canonically into JSON numbers and booleans.
        strict: raise ``LossyConversionError`` instead of dropping or reordering data.
        namespaces: False when the document declares no namespace (skips the bookkeeping).
    """

    def __init__(
        self,
        max_depth: int,
        force_list: ForceList = None,
        *,
        typed: bool = False,
        strict: bool = True,
        namespaces: bool = True,
    ) -> None:
        self.max_depth = max_depth
        self.namespaces = namespaces
        self.forcing = force_list is not None
        self.forced = _matcher(force_list)
        self.typed = typed
        self.strict = strict
        self._names: dict[tuple[str, str | None], str] = {}

    def document(self, tree: Tree) -> dict[str, Any]:
        """The readable form of a document: ``{root_name: value}``.

        Comments and instructions outside the root element are not data and are left out.

        Args:
            tree: the parsed document.

        Returns:
            A one-key dict.
        """
        root = tree.getroot()
        return {self._name(root): self.element(root, "")}

    def _name(self, el: Node) -> str:
        tag: str = el.tag
        prefix = el.prefix
        name = self._names.get((tag, prefix))
        if name is None:
            local = tag[tag.index("}") + 1 :] if tag[0] == "{" else tag
            name = f"{prefix}:{local}" if prefix else local
            self._names[(tag, prefix)] = name
        return name

    def _scalar(self, text: str) -> Any:
        return typed_scalar(text) if self.typed else text

    def element(
        self,
        el: Node,
        parent_path: str,
        parent_ns: dict[str | None, str] | None = None,
        depth: int = 0,
        own_ns: dict[str | None, str] | None = None,
    ) -> Any:
        """The readable value of one element.

        Args:
            el: the element.
            parent_path: the path of its parent (``""`` for the root).
            parent_ns: namespaces in scope at the parent (None writes every one in scope).
            depth: current nesting (internal).
            own_ns: ``el.nsmap`` when the caller already has it (internal).

        Returns:
            str, None, a typed scalar or a dict.

        Raises:
            LossyConversionError: in strict mode, something this form cannot hold.
        """
        if depth >= self.max_depth:
            raise LimitExceededError(f"refused: XML nested deeper than {self.max_depth}")
        name = self._name(el)
        path = f"{parent_path}/{name}"
        result: dict[str, Any] = {}
        namespaces = self.namespaces
        if namespaces:
            nsmap = el.nsmap if own_ns is None else own_ns
            if nsmap != (parent_ns or {}):
                for key in sorted(nsmap, key=lambda p: p or ""):
                    if (parent_ns or {}).get(key) != nsmap[key]:
                        result[f"@xmlns:{key}" if key else "@xmlns"] = nsmap[key]
        else:
            nsmap = parent_ns or {}
        items = el.items()
        if items:
            for key, value in items:
                if key[0] == "{":
                    key = _attribute_name(key, nsmap)
                result[f"@{key}"] = self._scalar(value)
        texts: list[str] = []
        if el.text:
            texts.append(el.text)
        has_children = False
        last = None
        forcing = self.forcing
        typed = self.typed
        depth += 1
        for child in el:
            ctag = child.tag
            if ctag.__class__ is str:
                has_children = True
                cname = ctag if ctag[0] != "{" else self._name(child)
                child_ns = child.nsmap if namespaces else None
                if (
                    len(child)
                    or child.items()
                    or depth >= self.max_depth
                    or (namespaces and child_ns != nsmap)
                ):
                    value = self.element(child, path, nsmap, depth, child_ns)
                else:  # a leaf with text only: the common case, without the call
                    leaf = child.text
                    value = (typed_scalar(leaf) if typed else leaf) if leaf else None
                current = result.get(cname, _MISSING)
                if current is _MISSING:
                    if forcing and self.forced(f"{path}/{cname}", cname):
                        value = [value]
                    result[cname] = value
                else:
                    if last != cname and self.strict:
                        raise LossyConversionError(
                            f"<{cname}> elements are interleaved with others; the readable"
                            " form would reorder them (use mapping='lossless', or strict=False)",
                            path=path,
                        )
                    if current.__class__ is _Repeat or (
                        forcing and current.__class__ is list
                    ):  # forced, or already repeated
                        current.append(value)
                    else:
                        result[cname] = _Repeat([current, value])
                last = cname
            elif self.strict:
                kind = "comment" if ctag is _Comment else "processing instruction"
                raise LossyConversionError(
                    f"the readable form cannot hold a {kind}"
                    " (use mapping='lossless', or strict=False)",
                    path=path,
                )
            if child.tail:
                texts.append(child.tail)
        text = "".join(texts)
        if has_children and text.strip():
            if self.strict:
                raise LossyConversionError(
                    "mixed content (text between child elements) cannot be held by the readable"
                    " form (use mapping='lossless', or strict=False)",
                    path=path,
                )
            text = "".join(t.strip() for t in texts)
        elif has_children:
            text = ""
        for key, value in result.items():
            if type(value) is _Repeat:
                result[key] = list(value)
        if not result:
            return self._scalar(text) if text else None
        if text:
            result["#text"] = self._scalar(text)
        return result


class _Repeat(list[Any]):
    """A list made by repetition (as opposed to a forced one), so it keeps growing."""


_MISSING = object()


def _attribute_name(clark: str, nsmap: dict[str | None, str]) -> str:
    uri, local = clark[1:].split("}", 1)
    if uri == XML_NS:
        return f"xml:{local}"
    for prefix, value in nsmap.items():
        if value == uri and prefix:
            return f"{prefix}:{local}"
    raise MappingError(f"no prefix in scope for attribute namespace {uri!r}")  # pragma: no cover


# ---------------------------------------------------------------- readable value -> XML text


class ReadableWriter:
    """Writes the readable form as XML text (xmltodict ``unparse`` conventions), never renaming.

    Args:
        max_depth: deepest nesting allowed.
    """

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self._names: set[str] = set()

    def document(self, value: Any, out: list[str], root: str | None = None) -> None:
        """Append the XML of a readable value.

        Args:
            value: ``{root_name: ...}``, or any value when ``root`` names the root element
                (a list then becomes ``<item>`` children of the root).
            out: text pieces to extend.
            root: wrap ``value`` in an element of this name.

        Raises:
            MappingError: not one root, invalid names, or values XML cannot carry.
        """
        if root is not None:
            value = {root: {"item": value} if isinstance(value, list) else value}
        if type(value) is not dict or len(value) != 1:
            raise MappingError(
                "the readable mapping needs an object with exactly one key, the root element"
                " (or pass root=NAME to wrap the value)"
            )
        ((name, content),) = value.items()
        if isinstance(content, list):
            raise MappingError("the root element cannot be a list (pass root=NAME to wrap it)")
        self.element(name, content, out, {"xml": XML_NS}, "", 0)

    def _check_name(self, name: Any, path: str) -> str:
        if type(name) is not str:
            raise InvalidNameError(f"key {name!r} is not a string", path=path)
        if name not in self._names:
            if QNAME.fullmatch(name) is None:
                raise InvalidNameError(
                    f"{name!r} is not an XML name; the readable mapping never renames keys"
                    " (use mapping='lossless' for arbitrary keys)",
                    path=path,
                )
            self._names.add(name)
        return name

    def element(
        self, name: Any, value: Any, out: list[str], scope: dict[str, str], path: str, depth: int
    ) -> None:
        """Append one element.

        Args:
            name: the element name.
            value: its readable value.
            out: text pieces to extend.
            scope: declared prefixes.
            path: path of the parent, for messages.
            depth: current nesting.

        Raises:
            MappingError: see ``document``.
        """
        name = self._check_name(name, path)
        path = f"{path}/{name}"
        if depth >= self.max_depth:
            raise LimitExceededError(f"refused: nested deeper than {self.max_depth}")
        if type(value) is not dict:
            if value is None:
                self._check_prefix(name, scope, path)
                out.append(f"<{name}/>")
                return
            scalar = self._text(value, path)
            self._check_prefix(name, scope, path)
            out.append(
                f"<{name}>{escape_text(scalar)}</{name}>" if scalar else f"<{name}></{name}>"
            )
            return
        attrs: list[str] = []
        children: list[tuple[str, Any]] = []
        text: str | None = None
        new_scope = None
        for key, item in value.items():
            if type(key) is not str:
                raise InvalidNameError(f"key {key!r} is not a string", path=path)
            if key.startswith("@"):
                attr = self._check_name(key[1:], path)
                attr_value = self._text(item, f"{path}/{key}")
                if attr == "xmlns" or attr.startswith("xmlns:"):
                    new_scope = dict(scope) if new_scope is None else new_scope
                    new_scope[attr[6:]] = attr_value
                attrs.append(f' {attr}="{escape_attr(attr_value)}"')
            elif key == "#text":
                text = self._text(item, f"{path}/#text")
            else:
                children.append((key, item))
        scope = new_scope or scope
        self._check_prefix(name, scope, path)
        for attr in value:
            if (
                type(attr) is str
                and attr.startswith("@")
                and ":" in attr
                and not attr.startswith("@xmlns:")
            ):
                self._check_prefix(attr[1:], scope, path)
        head = f"<{name}{''.join(attrs)}"
        if not children and not text:
            out.append(f"{head}/>")
            return
        out.append(f"{head}>")
        if text:
            out.append(escape_text(text))
        for key, item in children:
            if type(item) is list:
                for entry in item:
                    if type(entry) is list:
                        raise MappingError(
                            "a list inside a list has no XML form", path=f"{path}/{key}"
                        )
                    self.element(key, entry, out, scope, path, depth + 1)
            else:
                self.element(key, item, out, scope, path, depth + 1)
        out.append(f"</{name}>")

    @staticmethod
    def _check_prefix(name: str, scope: dict[str, str], path: str) -> None:
        if ":" in name:
            prefix = name.split(":", 1)[0]
            if prefix not in scope:
                raise MappingError(f"prefix {prefix!r} of {name!r} is not declared", path=path)

    @staticmethod
    def _text(value: Any, path: str) -> str:
        if type(value) is str or isinstance(value, JsonNumber):
            text = str(value)
        elif value is True or value is False:
            text = "true" if value else "false"
        elif value is None:
            text = ""
        else:
            try:
                number = number_text(value)
            except ValueError as exc:
                raise UnrepresentableError(str(exc), path=path) from None
            if number is None:
                if isinstance(value, str | Decimal):
                    number = str(value)
                else:
                    raise MappingError(
                        f"a {type(value).__name__} cannot be text or an attribute", path=path
                    )
            text = number
        if XML_INVALID.search(text) is not None:
            raise UnrepresentableError(
                "a character XML cannot carry (use mapping='lossless')", path=path
            )
        return text


__all__ = [
    "NCNAME",
    "ForceList",
    "ReadableReader",
    "ReadableWriter",
    "force_list_from_xsd",
    "typed_scalar",
]
