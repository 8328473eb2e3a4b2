"""Hypothesis strategies: arbitrary JSON values and arbitrary well-formed XML documents."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st

from docconv import JsonNumber
from docconv._jsontext import JSON_NUMBER

# Characters that break naive converters: controls, XML-invalid code points, lone surrogates,
# markup, backslashes, C1 controls, non-BMP.
SPECIAL = "\x00\x01\x08\x0b\x1f\t\n\r\x7f\x85\x9f\\\"'<>&]]>\ud800\udfff\ufffe\uffff\u2028é😀 "

json_text = st.text(
    alphabet=st.one_of(st.characters(codec="utf-8"), st.sampled_from(SPECIAL)), max_size=12
)
json_keys = st.one_of(json_text, st.sampled_from(["", "a", "key", "@x", "#text", "xml:a", "1"]))

json_numbers = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False, allow_infinity=False),
)
lexical_numbers = st.from_regex(JSON_NUMBER, fullmatch=True).map(JsonNumber)

json_scalars = st.one_of(st.none(), st.booleans(), json_numbers, json_text)


def _containers(children: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    return st.one_of(
        st.lists(children, max_size=5),
        st.dictionaries(json_keys, children, max_size=5),
    )


json_values: st.SearchStrategy[Any] = st.recursive(json_scalars, _containers, max_leaves=25)
"""Any JSON value as Python objects (int and float kept apart, keys in any order)."""

lexical_values: st.SearchStrategy[Any] = st.recursive(
    st.one_of(st.none(), st.booleans(), lexical_numbers, json_text), _containers, max_leaves=25
)
"""Any JSON value whose numbers are ``JsonNumber`` text as written (``1.50``, ``-0``, ``1E+5``)."""


# ---------------------------------------------------------------- XML documents

NAMES = ["a", "b", "item", "x-y", "_z", "é", "data.v2", "n9"]
# One URI per prefix: with two prefixes bound to one URI, lxml's canonicalize() itself picks
# either prefix (docconv keeps the one written; see test_jsonml for that case).
PREFIXES = {"p": "urn:p", "q": "http://example.com/q", "dc": "http://purl.org/dc/elements/1.1/"}
_XML_CHARS = st.characters(
    codec="utf-8", exclude_categories=["Cs", "Cc"], exclude_characters="\ufffe\uffff"
)
xml_text = st.text(
    alphabet=st.one_of(_XML_CHARS, st.sampled_from("\t\n\r <>&\"']]>\\")), max_size=10
)


def _escape(text: str, attribute: bool = False) -> str:
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    text = text.replace("\r", "&#13;")
    if attribute:
        text = text.replace('"', "&quot;").replace("\t", "&#9;").replace("\n", "&#10;")
    return text


@st.composite
def _element(draw: st.DrawFn, depth: int, scope: frozenset[str], default_ns: bool) -> str:
    declarations: list[str] = []
    if draw(st.booleans()) and depth < 3:
        for prefix in draw(st.sets(st.sampled_from(sorted(PREFIXES)), max_size=2)):
            declarations.append(f' xmlns:{prefix}="{PREFIXES[prefix]}"')
            scope = scope | {prefix}
    choice = draw(st.integers(0, 5))
    if choice == 0:
        declarations.append(' xmlns="urn:default"')
        default_ns = True
    elif choice == 1 and default_ns:
        declarations.append(' xmlns=""')
        default_ns = False
    prefix = draw(st.sampled_from(["", *sorted(scope)]))
    name = f"{prefix}:{draw(st.sampled_from(NAMES))}" if prefix else draw(st.sampled_from(NAMES))
    attributes: list[str] = []
    used: set[str] = set()
    for _ in range(draw(st.integers(0, 3))):
        attr_prefix = draw(st.sampled_from(["", "", "xml", *sorted(scope)]))
        local = draw(st.sampled_from(["id", "lang", "k", "é"]))
        attr = f"{attr_prefix}:{local}" if attr_prefix else local
        if attr in used or (attr_prefix and any(u.endswith(f":{local}") for u in used)):
            continue
        used.add(attr)
        attributes.append(f' {attr}="{_escape(draw(xml_text), attribute=True)}"')
    children: list[str] = []
    if depth < 4:
        for _ in range(draw(st.integers(0, 4))):
            kind = draw(st.integers(0, 9))
            if kind <= 3:
                children.append(_escape(draw(xml_text)))
            elif kind <= 6:
                children.append(draw(_element(depth + 1, scope, default_ns)))
            elif kind == 7:
                comment = draw(xml_text).replace("-", "")
                children.append(f"<!--{comment}-->")
            elif kind == 8:
                data = draw(xml_text).replace("?>", "").lstrip(" \t\r\n")
                children.append(f"<?pi-{draw(st.sampled_from(NAMES))} {data}?>")
            else:
                children.append(f"<![CDATA[{draw(xml_text).replace(']]>', '')}]]>")
    head = f"<{name}{''.join(declarations)}{''.join(attributes)}"
    if not children:
        return f"{head}/>"
    return f"{head}>{''.join(children)}</{name}>"


@st.composite
def xml_documents(draw: st.DrawFn) -> str:
    """A well-formed XML document: namespaces (prefixed, default, undeclared), attributes,
    mixed content, comments, processing instructions, CDATA, whitespace and markup characters.
    """
    prolog = draw(st.lists(st.sampled_from(["<!-- c -->", "<?style x?>", "<!--x-->"]), max_size=2))
    epilog = draw(st.lists(st.sampled_from(["<!-- end -->", "<?done?>"]), max_size=2))
    declaration = draw(st.sampled_from(["", '<?xml version="1.0" encoding="UTF-8"?>\n']))
    root = draw(_element(0, frozenset(), False))
    return declaration + "\n".join([*prolog, root, *epilog])
