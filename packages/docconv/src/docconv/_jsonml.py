"""The lossless mapping of XML documents to JSON: JsonML arrays with a document node.

```
["#document", {"doctype": "<!DOCTYPE ...>"}?, prolog..., ["root", {attrs}?, child...], epilog...]
element      ["prefix:name", {"xmlns:p": "uri", "attr": "value", ...}?, child...]
text         "a JSON string"            (CDATA sections become text, as in C14N)
comment      ["#comment", "text"]
instruction  ["#pi", "target"] or ["#pi", "target", "data"]
```

Names are kept as written (prefixes included); namespace declarations are attributes
(``xmlns``/``xmlns:p``) placed first, in document order, on the element that declares them;
other attributes follow in document order. The attribute object is left out when empty.
That is the *canonical* form the reader produces; the writer accepts it, and also looser
JsonML (an empty attribute object, adjacent strings) unless asked to be strict.
"""

from __future__ import annotations

from typing import Any

from lxml import etree

from docconv._exceptions import (
    InvalidNameError,
    LimitExceededError,
    MappingError,
    SecurityError,
    UnrepresentableError,
)
from docconv._jsontext import NCNAME, QNAME, XML_INVALID, Node, Tree, escape_attr, escape_text
from docconv._safety import Limits, parse_xml

DOCUMENT = "#document"
COMMENT = "#comment"
PI = "#pi"
XML_NS = "http://www.w3.org/XML/1998/namespace"
_Comment = etree.Comment
_PI = etree.ProcessingInstruction


class JsonMLReader:
    """Turns a parsed XML tree into canonical JsonML (plain lists, dicts and strings).

    Args:
        max_depth: deepest element nesting allowed.
        namespaces: False when the document declares no namespace at all (``xmlns`` appears
            nowhere in it), which skips the per-element namespace bookkeeping.
    """

    __slots__ = ("_names", "max_depth", "namespaces")

    def __init__(self, max_depth: int, *, namespaces: bool = True) -> None:
        self.max_depth = max_depth
        self.namespaces = namespaces
        self._names: dict[tuple[str, str | None], str] = {}

    def document(self, tree: Tree) -> list[Any]:
        """JsonML of a whole document (doctype, prolog and epilog included).

        Args:
            tree: the parsed document.

        Returns:
            ``["#document", ...]``.
        """
        root = tree.getroot()
        result: list[Any] = [DOCUMENT]
        info = tree.docinfo
        if info.doctype:
            result.append({"doctype": _doctype_text(tree)})
        result.extend(
            self._misc(node) for node in reversed(list(root.itersiblings(preceding=True)))
        )
        result.append(self.element(root))
        result.extend(self._misc(node) for node in root.itersiblings())
        return result

    def _misc(self, node: Node) -> list[str]:
        if node.tag is _Comment:
            return [COMMENT, node.text or ""]
        if node.tag is _PI:
            return [PI, node.target, node.text] if node.text else [PI, node.target]
        raise UnrepresentableError(f"unsupported node {node!r}")  # pragma: no cover

    def element(self, el: Node, parent_ns: dict[str | None, str] | None = None) -> list[Any]:
        """JsonML of one element and its subtree.

        Args:
            el: the element.
            parent_ns: the namespaces in scope at the parent (``None`` for a root, whose
                in-scope declarations are all written).

        Returns:
            ``[name, attrs?, children...]``.

        Raises:
            LimitExceededError: nested deeper than ``max_depth``.
        """
        return self._element(el, parent_ns or {}, 0)

    def _element(
        self,
        el: Node,
        parent_ns: dict[str | None, str],
        depth: int,
        own_ns: dict[str | None, str] | None = None,
    ) -> list[Any]:
        # The hot path: one call per element, so lookups are kept local and rare cases last.
        if depth >= self.max_depth:
            raise LimitExceededError(f"refused: XML nested deeper than {self.max_depth}")
        tag = el.tag
        names = self._names
        if tag[0] == "{":
            prefix = el.prefix
            name = names.get((tag, prefix))
            if name is None:
                local = tag[tag.index("}") + 1 :]
                name = f"{prefix}:{local}" if prefix else local
                names[(tag, prefix)] = name
        else:
            name = tag
        node: list[Any] = [name]
        items = el.items()
        namespaces = self.namespaces
        if namespaces:
            nsmap = el.nsmap if own_ns is None else own_ns
            if nsmap != parent_ns:
                attrs = _declarations(nsmap, parent_ns)
                if items:
                    _add_attributes(attrs, items, nsmap, el)
                node.append(attrs)
            elif items:
                attrs = {}
                _add_attributes(attrs, items, nsmap, el)
                node.append(attrs)
        else:
            nsmap = parent_ns
            if items:
                attrs = dict(items)
                if any(key[0] == "{" for key in attrs):
                    attrs = {}
                    _add_attributes(attrs, items, nsmap, el)
                node.append(attrs)
        text = el.text
        if text:
            node.append(text)
        depth += 1
        deep = depth >= self.max_depth
        for child in el:
            ctag = child.tag
            if ctag.__class__ is str:
                # Leaves without attributes (most fields of data documents) skip the call.
                if namespaces:
                    child_ns = child.nsmap
                    leaf = not (len(child) or child.items() or deep or child_ns != nsmap)
                    leaf_name = names.get((ctag, child.prefix)) if leaf and ctag[0] == "{" else ctag
                    if not leaf or leaf_name is None:
                        node.append(self._element(child, nsmap, depth, child_ns))
                        leaf = False
                elif len(child) or child.items() or deep:
                    node.append(self._element(child, nsmap, depth))
                    leaf = False
                else:
                    leaf, leaf_name = True, ctag
                if leaf:
                    leaf_text = child.text
                    node.append([leaf_name, leaf_text] if leaf_text else [leaf_name])
            elif ctag is _Comment:
                node.append([COMMENT, child.text or ""])
            elif ctag is _PI:
                data = child.text
                node.append([PI, child.target, data] if data else [PI, child.target])
            else:
                raise UnrepresentableError(f"unexpanded entity {child!r} has no JSON form")
            tail = child.tail
            if tail:
                node.append(tail)
        return node


def _declarations(nsmap: dict[str | None, str], parent_ns: dict[str | None, str]) -> dict[str, str]:
    attrs: dict[str, str] = {}
    for key, uri in nsmap.items():  # lxml lists an element's own declarations first, in order
        if parent_ns.get(key, "") != uri:  # an undeclaration xmlns="" shows as (None, "")
            attrs[f"xmlns:{key}" if key else "xmlns"] = uri
    return attrs


def _add_attributes(
    attrs: dict[str, str],
    items: list[tuple[str, str]],
    nsmap: dict[str | None, str],
    el: Node = None,
) -> None:
    for index, (key, value) in enumerate(items, 1):
        if key[0] == "{":
            key = _attribute_name(key, nsmap, el, index)
        attrs[key] = value


def _attribute_name(clark: str, nsmap: dict[str | None, str], el: Node, index: int) -> str:
    uri, local = clark[1:].split("}", 1)
    if uri == XML_NS:
        return f"xml:{local}"
    prefixes = [prefix for prefix, value in nsmap.items() if value == uri and prefix]
    if len(prefixes) == 1:
        return f"{prefixes[0]}:{local}"
    if prefixes and el is not None:
        # Several prefixes are bound to this namespace: XPath name() tells the one written.
        return str(el.xpath(f"name(@*[{index}])"))
    if prefixes:  # pragma: no cover - every caller passes the element
        return f"{prefixes[0]}:{local}"
    raise MappingError(f"no prefix in scope for attribute namespace {uri!r}")  # pragma: no cover


def _doctype_text(tree: Tree) -> str:
    info = tree.docinfo
    if info.internalDTD is None:
        return str(info.doctype)
    # lxml serialises the internal subset exactly once, before the first node.
    head = etree.tostring(tree, encoding="unicode")
    start = head.find("<!DOCTYPE")
    end = head.find("]>", start)
    return head[start : end + 2] if start >= 0 and end > start else info.doctype


# ---------------------------------------------------------------- JsonML -> XML text


class JsonMLWriter:
    """Writes JsonML as XML text, checking names, namespaces and characters as it goes.

    Args:
        limits: safety bounds (depth; a doctype is re-parsed under them).
        strict: accept only the canonical form the reader produces (used to tell a JsonML
            document from an arbitrary JSON value in the ``lossless`` mapping).
    """

    __slots__ = ("_names", "limits", "strict")

    def __init__(self, limits: Limits, *, strict: bool = False) -> None:
        self.limits = limits
        self.strict = strict
        self._names: set[str] = set()

    def document(self, doc: Any, out: list[str]) -> None:
        """Append the XML of a JsonML document (or a bare root element) to ``out``.

        Args:
            doc: ``["#document", ...]`` or ``["name", ...]``.
            out: text pieces to extend.

        Raises:
            MappingError: the value is not JsonML, or names/characters cannot be written.
        """
        if type(doc) is not list or not doc or type(doc[0]) is not str:
            raise MappingError("JsonML must be an array starting with a name or '#document'")
        if doc[0] != DOCUMENT:
            if self.strict:
                raise MappingError("canonical JsonML starts with '#document'")
            self._node(doc, out, {"xml": XML_NS}, 0)
            return
        items = doc[1:]
        doctype = None
        if items and type(items[0]) is dict:
            head = items.pop(0)
            unknown = set(head) - {"doctype"}
            if unknown or (self.strict and not head):
                raise MappingError(f"unknown document properties {sorted(unknown)}")
            doctype = head.get("doctype")
        roots = [
            item for item in items if type(item) is list and item and item[0] not in (COMMENT, PI)
        ]
        if len(roots) != 1:
            raise MappingError(f"a document needs exactly one root element, found {len(roots)}")
        if doctype is not None:
            out.append(self._doctype(doctype, roots[0][0]))
        for item in items:
            if type(item) is not list:
                raise MappingError(
                    "only comments, instructions and one element may stand at the document level"
                )
            self._node(item, out, {"xml": XML_NS}, 0)

    def _doctype(self, doctype: Any, root_name: Any) -> str:
        if type(doctype) is not str or not doctype.startswith("<!DOCTYPE"):
            raise MappingError("doctype must be a string starting with '<!DOCTYPE'")
        if type(root_name) is not str or QNAME.fullmatch(root_name) is None:
            raise InvalidNameError(f"{root_name!r} is not an XML name")
        probe = f"{doctype}<{root_name}/>"
        try:
            tree = parse_xml(probe, self.limits)
        except (MappingError, SecurityError):
            raise
        except Exception as exc:
            raise MappingError(f"invalid doctype: {exc}") from None
        if tree.getroot().getprevious() is not None or len(tree.getroot()):
            raise MappingError("the doctype must be a single <!DOCTYPE ...> declaration")
        return doctype + "\n"

    def _node(self, node: list[Any], out: list[str], scope: dict[str, str], depth: int) -> None:
        if not node:
            raise MappingError("empty array is not a JsonML node")
        name = node[0]
        if type(name) is not str:
            raise MappingError(f"a JsonML node starts with its name, not {name!r}")
        if name == COMMENT:
            out.append(self._comment(node))
            return
        if name == PI:
            out.append(self._pi(node))
            return
        if depth >= self.limits.max_depth:
            raise LimitExceededError(f"refused: JsonML nested deeper than {self.limits.max_depth}")
        if name not in self._names:
            if QNAME.fullmatch(name) is None:
                raise InvalidNameError(f"{name!r} is not an XML element name")
            self._names.add(name)
        start = 1
        attrs_text = ""
        if len(node) > 1 and type(node[1]) is dict:
            start = 2
            attrs = node[1]
            if self.strict and not attrs:
                raise MappingError("canonical JsonML leaves out an empty attribute object")
            scope, attrs_text = self._attributes(attrs, scope)
        if ":" in name:
            prefix = name.split(":", 1)[0]
            if prefix not in scope:
                raise MappingError(f"prefix {prefix!r} of <{name}> is not declared")
        elif (
            self.strict and depth == 0 and scope.get("") == "http://www.w3.org/2005/xpath-functions"
        ):
            raise MappingError("a root in the XPath functions namespace reads back as JSON")
        if len(node) == start:
            out.append(f"<{name}{attrs_text}/>")
            return
        out.append(f"<{name}{attrs_text}>")
        previous_text = False
        for child in node[start:]:
            kind = type(child)
            if kind is str:
                if XML_INVALID.search(child) is not None:
                    raise UnrepresentableError(
                        f"a character XML cannot carry in the text of <{name}>"
                    )
                if self.strict and (previous_text or not child):
                    raise MappingError("canonical JsonML has no empty or adjacent strings")
                out.append(escape_text(child))
                previous_text = True
                continue
            previous_text = False
            if kind is list:
                self._node(child, out, scope, depth + 1)
            else:
                raise MappingError(
                    f"unexpected {type(child).__name__} among the children of <{name}>"
                )
        out.append(f"</{name}>")

    def _attributes(
        self, attrs: dict[str, Any], scope: dict[str, str]
    ) -> tuple[dict[str, str], str]:
        pieces: list[str] = []
        declared: list[str] = []
        plain = False
        for key, value in attrs.items():
            if type(value) is not str:
                raise MappingError(f"attribute {key!r} must have a string value")
            if XML_INVALID.search(value) is not None:
                raise UnrepresentableError(f"a character XML cannot carry in attribute {key!r}")
            if key == "xmlns" or key.startswith("xmlns:"):
                prefix = key[6:]
                if self.strict and plain:
                    raise MappingError("canonical JsonML puts namespace declarations first")
                if prefix and (NCNAME.fullmatch(prefix) is None or not value or ":" in prefix):
                    raise InvalidNameError(f"invalid namespace declaration {key!r}")
                if prefix in ("xml", "xmlns") or value in (XML_NS, "http://www.w3.org/2000/xmlns/"):
                    raise MappingError(f"reserved namespace declaration {key!r}")
                if self.strict and scope.get(prefix, "") == value:
                    raise MappingError(f"canonical JsonML has no redundant declaration {key!r}")
                if not declared:
                    scope = dict(scope)
                if value:
                    scope[prefix] = value
                else:
                    scope.pop("", None)
                declared.append(prefix)
            else:
                plain = True
                if key not in self._names:
                    if QNAME.fullmatch(key) is None:
                        raise InvalidNameError(f"{key!r} is not an XML attribute name")
                    self._names.add(key)
            pieces.append(f' {key}="{escape_attr(value)}"')
        expanded: set[tuple[str, str]] = set()
        for key in attrs:
            if ":" in key and not key.startswith("xmlns:"):
                prefix, local = key.split(":", 1)
                if prefix not in scope:
                    raise MappingError(f"prefix {prefix!r} of attribute {key!r} is not declared")
                pair = (scope[prefix], local)
                if pair in expanded:
                    raise MappingError(f"attribute {key!r} repeats an expanded name")
                expanded.add(pair)
        return scope, "".join(pieces)

    def _comment(self, node: list[Any]) -> str:
        if len(node) != 2 or type(node[1]) is not str:
            raise MappingError('a comment is ["#comment", "text"]')
        text = node[1]
        if "--" in text or text.endswith("-") or XML_INVALID.search(text):
            raise UnrepresentableError(f"comment text {text[:30]!r} cannot be written in XML")
        return f"<!--{text}-->"

    def _pi(self, node: list[Any]) -> str:
        if len(node) not in (2, 3) or any(type(part) is not str for part in node[1:]):
            raise MappingError('an instruction is ["#pi", "target"] or ["#pi", "target", "data"]')
        target = node[1]
        if NCNAME.fullmatch(target) is None or target.lower() == "xml":
            raise InvalidNameError(f"{target!r} is not a processing-instruction target")
        if len(node) == 2:
            return f"<?{target}?>"
        data = node[2]
        if (
            "?>" in data
            or XML_INVALID.search(data)
            or (self.strict and (not data or data[0] in " \t\r\n"))
        ):
            raise UnrepresentableError(f"instruction data {data[:30]!r} cannot be written in XML")
        return f"<?{target} {data}?>"
