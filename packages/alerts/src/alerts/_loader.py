"""Read a rules file (TOML, YAML or JSON) and report problems with their line and field."""

from __future__ import annotations

import json
import os
import re
import tomllib
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import ValidationError

from alerts._config import RulesDocument
from alerts._exceptions import RuleValidationError, ValidationIssue

Format = Literal["toml", "yaml", "json"]
_ENV = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")
_TOML_KEY = re.compile(
    r"""^\s*((?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*')(?:\s*\.\s*(?:[A-Za-z0-9_-]+|"[^"]*"|'[^']*'))*)\s*="""
)
Path_ = tuple[Any, ...]


def _split_key(text: str) -> list[str]:
    parts = re.findall(r"""[A-Za-z0-9_-]+|"[^"]*"|'[^']*'""", text)
    return [p[1:-1] if p[:1] in "\"'" else p for p in parts]


def toml_lines(text: str) -> dict[Path_, int]:
    """Map each key path of a TOML document to its 1-based line (best effort, no positions in
    tomllib). Arrays of tables get their index: ``("rules", 2, "threshold")``."""
    lines: dict[Path_, int] = {}
    counts: dict[Path_, int] = {}
    current: Path_ = ()
    in_multiline: str | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if in_multiline:
            if in_multiline in line:
                in_multiline = None
            continue
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            array = line.startswith("[[")
            inner = line[2 : line.find("]]")] if array else line[1 : line.find("]")]
            resolved: list[Any] = []
            keys = _split_key(inner)
            for n, key in enumerate(keys):
                resolved.append(key)
                last = n == len(keys) - 1
                if tuple(resolved) in counts and not (array and last):
                    resolved.append(counts[tuple(resolved)])
            path = tuple(resolved)
            if array:
                counts[path] = counts.get(path, -1) + 1
                path = (*path, counts[path])
            current = path
            lines.setdefault(path, number)
            continue
        match = _TOML_KEY.match(raw)
        if match:
            path = (*current, *_split_key(match.group(1)))
            lines.setdefault(path, number)
            rest = raw[match.end() :]
            for quote in ('"""', "'''"):
                if rest.count(quote) == 1:
                    in_multiline = quote
    return lines


def yaml_lines(text: str) -> dict[Path_, int]:
    """Map each key path of a YAML (or JSON) document to its 1-based line."""
    lines: dict[Path_, int] = {}
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError:
        return lines

    def walk(node: yaml.Node, path: Path_) -> None:
        lines.setdefault(path, node.start_mark.line + 1)
        if isinstance(node, yaml.MappingNode):
            for key, value in node.value:
                sub = (*path, key.value)
                lines[sub] = key.start_mark.line + 1
                walk(value, sub)
        elif isinstance(node, yaml.SequenceNode):
            for i, item in enumerate(node.value):
                walk(item, (*path, i))

    if root is not None:
        walk(root, ())
    return lines


def _expand(value: Any, path: Path_, problems: list[tuple[Path_, str]]) -> Any:
    if isinstance(value, dict):
        return {k: _expand(v, (*path, k), problems) for k, v in value.items()}
    if isinstance(value, list):
        return [_expand(v, (*path, i), problems) for i, v in enumerate(value)]
    if isinstance(value, str):

        def sub(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in os.environ:
                problems.append((path, f"environment variable {name} is not set"))
                return ""
            return os.environ[name]

        return _ENV.sub(sub, value)
    return value


def _real_path(data: Any, loc: Path_) -> Path_:
    """Drop the discriminator tags pydantic inserts into error locations."""
    out: list[Any] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        ):
            out.append(part)
            node = node[part]
        elif isinstance(node, dict) and part == "for_" and "for" in node:
            out.append("for")
            node = node["for"]
        elif (
            isinstance(node, dict)
            and isinstance(part, str)
            and part.startswith(("function-", "tagged-union"))
        ) or (isinstance(node, dict) and (node.get("kind") == part or node.get("type") == part)):
            continue
        else:
            out.append(part)
            node = None
    return tuple(out)


def _format_loc(path: Path_) -> str:
    text = ""
    for part in path:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += ("." if text else "") + str(part)
    return text or "(document)"


def _line_for(lines: dict[Path_, int], path: Path_) -> int | None:
    for end in range(len(path), -1, -1):
        if path[:end] in lines:
            return lines[path[:end]]
    return None


def _describe(data: Any, path: Path_) -> str:
    """Name the rule a location is in, to help the reader: ``rules[2] (id 'ibm-up')``."""
    if len(path) >= 2 and path[0] == "rules" and isinstance(path[1], int):
        try:
            rule_id = data["rules"][path[1]].get("id")
        except (KeyError, IndexError, TypeError, AttributeError):
            return ""
        if rule_id:
            return f" (rule {rule_id!r})"
    return ""


def detect_format(name: str) -> Format:
    """Return the format implied by a file name's suffix.

    Raises:
        RuleValidationError: the suffix is not .toml, .yaml, .yml or .json.
    """
    suffix = Path(name).suffix.lower()
    if suffix == ".toml":
        return "toml"
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    raise RuleValidationError(
        [ValidationIssue("(file)", f"unknown rules format {suffix!r}: use .toml, .yaml or .json")],
        name,
    )


def parse_rules(text: str, fmt: Format = "toml", *, source: str | None = None) -> RulesDocument:
    """Parse and validate a rules document.

    Args:
        text: the document.
        fmt: ``toml``, ``yaml`` or ``json``.
        source: a name for messages (the file name).

    Returns:
        The validated :class:`RulesDocument`.

    Raises:
        RuleValidationError: syntax errors and every validation problem, each with its line and
            field path, e.g. ``line 12: rules[1].threshold: Input should be a valid decimal``.
    """
    try:
        if fmt == "toml":
            data: Any = tomllib.loads(text)
        elif fmt == "json":
            data = json.loads(text)
        else:
            data = yaml.safe_load(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise RuleValidationError([ValidationIssue("(syntax)", str(exc), line)], source) from exc
    except json.JSONDecodeError as exc:
        raise RuleValidationError(
            [ValidationIssue("(syntax)", exc.msg, exc.lineno)], source
        ) from exc
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RuleValidationError([ValidationIssue("(syntax)", str(exc), line)], source) from exc
    if data is None:
        data = {}
    lines = toml_lines(text) if fmt == "toml" else yaml_lines(text)
    if not isinstance(data, dict):
        raise RuleValidationError(
            [ValidationIssue("(document)", "expected a table/mapping", 1)], source
        )
    env_problems: list[tuple[Path_, str]] = []
    for section in ("channels", "actions"):
        if section in data:
            data[section] = _expand(data[section], (section,), env_problems)
    issues = [ValidationIssue(_format_loc(p), m, _line_for(lines, p)) for p, m in env_problems]
    try:
        document = RulesDocument.model_validate(data)
    except ValidationError as exc:
        for error in exc.errors(include_url=False):
            path = _real_path(data, tuple(error["loc"]))
            if error["type"] in ("union_tag_invalid", "union_tag_not_found"):
                path = (*path, "kind" if path[:1] == ("rules",) else "type")
            message = error["msg"] + _describe(data, path)
            given = error.get("input")
            # Echo what was given, but never from channels/actions: it may be a secret.
            if (
                path[:1] == ("rules",)
                and error["type"] not in ("missing", "value_error")
                and isinstance(given, str | int | float)
            ):
                message += f"; got {given!r}"
            issues.append(ValidationIssue(_format_loc(path), message, _line_for(lines, path)))
        raise RuleValidationError(issues, source) from None
    for path, message in document.reference_problems():
        issues.append(
            ValidationIssue(
                _format_loc(path), message + _describe(data, path), _line_for(lines, path)
            )
        )
    if issues:
        raise RuleValidationError(issues, source)
    return document


def load_rules(path: str | os.PathLike[str]) -> RulesDocument:
    """Read and validate a rules file; the format comes from its suffix.

    Args:
        path: a ``.toml``, ``.yaml``/``.yml`` or ``.json`` file.

    Returns:
        The validated :class:`RulesDocument`.

    Raises:
        RuleValidationError: unreadable file, syntax error or invalid content (with lines).
    """
    name = os.fspath(path)
    fmt = detect_format(name)
    try:
        text = Path(name).read_text(encoding="utf-8")
    except OSError as exc:
        raise RuleValidationError(
            [ValidationIssue("(file)", f"cannot read: {exc.strerror}")], name
        ) from exc
    return parse_rules(text, fmt, source=name)
