"""Online template mining: a fixed-depth prefix tree (after Drain) over masked tokens.

One configuration for every source.  Each message is first *masked* — URLs, e-mail addresses,
UUIDs, IPs, MACs, hex, paths, quoted strings, ``key=value`` values and any run of characters that
contains a digit become ``<*>`` — then routed by token count and its first tokens to a leaf,
where it joins the most similar cluster (or starts one).  A cluster's template keeps the tokens
all its members share; the others become ``<*>``.  A merge step folds clusters whose templates
have become equal or differ only where one already has a wildcard.

State is plain JSON (:meth:`TemplateMiner.save` / :meth:`TemplateMiner.load`); nothing read from
disk is ever unpickled.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from logkit._exceptions import ConfigurationError, StateError

WILDCARD = "<*>"
OVERFLOW_ID = "overflow"
STATE_VERSION = 1

# Order matters: the broad, structured forms first, then the generic digit rule.
_MASKS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.\-]*://[^\s\"'<>]+"), WILDCARD),
    (re.compile(r"\b[\w.+\-]+@[\w\-]+(?:\.[\w\-]+)+\b"), WILDCARD),
    (re.compile(r"(?<![\w/.])(?:[A-Za-z]:)?(?:/[\w.\-@%+~$]+){2,}/?"), WILDCARD),
    (re.compile(r"(?<![\w\\.])(?:[A-Za-z]:)?(?:\\[\w.\-@%+~$]+){2,}\\?"), WILDCARD),
    (
        re.compile(
            r"\b[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}\b"
        ),
        WILDCARD,
    ),
    (re.compile(r"\b(?:[0-9a-fA-F]{2}[:\-]){5}[0-9a-fA-F]{2}\b"), WILDCARD),
    (re.compile(r"(?<![\w.])(?:\d{1,3}\.){3}\d{1,3}(?::\d+)?(?![\w.])"), WILDCARD),
    (re.compile(r"(?<![\w:])(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}(?![\w:])"), WILDCARD),
    (re.compile(r"(?<![\w.\-])[A-Za-z0-9][\w\-]*(?:\.[\w\-]+)+:\d+\b"), WILDCARD),
    (re.compile(r"\b0[xX][0-9a-fA-F]+\b"), WILDCARD),
    (re.compile(r"\b(?=[0-9a-fA-F]*[a-fA-F])(?=[0-9a-fA-F]*\d)[0-9a-fA-F]{8,}\b"), WILDCARD),
]
# All structured forms in one alternation: one pass per token instead of one per form.
_STRUCTURED = re.compile("|".join(f"(?:{pattern.pattern})" for pattern, _ in _MASKS))
_HEX8 = re.compile(r"[0-9a-fA-F]{8}")
# Alternations of only the forms a token can hold, keyed by a bit per form of _MASKS.
_structured_cache: dict[int, re.Pattern[str] | None] = {0: None}


def _structured_for(token: str) -> re.Pattern[str] | None:
    """The alternation of the forms of ``_MASKS`` that ``token`` could contain, or ``None``.

    Each check is a condition every match of that form needs (``://`` for a URL, three dots
    for an IPv4 address…).  Forms that cannot match anywhere in the token are left out, which
    changes no result (the kept ones stay in order) but spares the costly alternation for
    most tokens.
    """
    colons = token.count(":")
    dashes = token.count("-")
    key = (
        ("://" in token)
        | ("@" in token) << 1
        | (token.count("/") >= 2) << 2
        | (token.count("\\") >= 2) << 3
        | (dashes >= 4) << 4
        | (dashes + colons >= 5) << 5
        | (token.count(".") >= 3) << 6
        | (colons >= 2) << 7
        | (colons > 0 and "." in token) << 8
        | ("0x" in token or "0X" in token) << 9
        | (len(token) >= 8 and _HEX8.search(token) is not None) << 10
    )
    try:
        return _structured_cache[key]
    except KeyError:
        pattern = re.compile(
            "|".join(f"(?:{p.pattern})" for i, (p, _) in enumerate(_MASKS) if key >> i & 1)
        )
        _structured_cache[key] = pattern
        return pattern


_EMPTY = re.compile(r"\(\)|\[\]|\{\}|\"\"|''")
_EMPTY_TOKENS = frozenset({"()", "[]", "{}", '""', "''"})
_BOOL_VALUE = re.compile(r"(?i)(?<=[:=])(?:true|false|null|none|nil|yes|no|on|off)\b")
_KEY_VALUE = re.compile(r"(\b[A-Za-z_][\w.\-]*=)(\"[^\"]*\"|'[^']*'|[^\s,;\"')\]}]+)")
_DIGITS = re.compile(r"[\w.\-+#%]*\d[\w.\-+#%]*")
_ONLY_WILD = re.compile(r"<\*>|[,;:/.\-_@=#|]")
_SPACE = re.compile(r"\s+")


def mask(message: str) -> str:
    """Replace the variable parts of a message with ``<*>`` (the masking the miner uses).

    Args:
        message: one log message (without the timestamp/level header).

    Returns:
        The masked message, tokens separated by single spaces.

    Example:
        >>> mask("Connection from 10.0.0.1:22 closed after 35 ms, user=bob")
        'Connection from <*> closed after <*>, user=<*>'
    """
    return " ".join(tokenize(message))


_MONTHS = "Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec"
_DATE = re.compile(
    r"\b(?:(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)[a-z]*,?\s+)?"
    rf"(?:(?:{_MONTHS})[a-z]*\.?\s+\d{{1,2}}|\d{{1,2}}[\s\-/](?:{_MONTHS})[a-z]*)"
    r"(?:,?[\s\-/]+\d{4})?(?:[\s:T]+\d{1,2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?)?(?:\s+\d{4}\b)?"
)
_HAS_MONTH = re.compile(_MONTHS)
_UNITS = frozenset(
    [
        "b",
        "kb",
        "mb",
        "gb",
        "tb",
        "pb",
        "kib",
        "mib",
        "gib",
        "tib",
        "byte",
        "bytes",
        "ms",
        "us",
        "µs",
        "ns",
        "s",
        "sec",
        "secs",
        "second",
        "seconds",
        "min",
        "mins",
        "minute",
        "minutes",
        "h",
        "hr",
        "hrs",
        "hour",
        "hours",
        "day",
        "days",
        "%",
    ]
)
# Unit tokens as they appear (any case, with trailing punctuation) -> that punctuation.
_UNIT_FORMS: dict[str, str] = {
    form + tail: tail
    for unit in _UNITS
    for form in {unit, unit.upper(), unit.capitalize(), unit[:-1] + unit[-1].upper()}
    for tail in ("", ",", ".", ";", ":", ")", "]", "),", ").", ");", "):")
}
_APPROX = re.compile(r"[<>~]+(?=<\*>)")


_token_cache: dict[str, str] = {}
_shape_cache: dict[bytes, tuple[str, ...]] = {}
_ZERO_BYTES = bytes.maketrans(b"123456789", b"000000000")
# Tokens that are nothing but a bracketed variable; they come and go in otherwise equal
# messages, so they are left out of the template.
_ANNOTATIONS = frozenset({"(<*>)", "[<*>]", "(<*>),", "(<*>).", "(<*>):"})
_CACHE_LIMIT = 100_000
_PLAIN = re.compile(r"[A-Za-z_,;.!?()\[\]'\"*<>{}|&+-]*")


def _mask_token(token: str) -> str:
    masked = _token_cache.get(token)
    if masked is not None:
        return masked
    masked = token
    if token.isdigit():
        masked = WILDCARD
    elif token.rstrip(",.;:") in _EMPTY_TOKENS:  # "()" stands for an empty value
        masked = token[0] + WILDCARD + token[1:]
    elif not _PLAIN.fullmatch(token):  # plain words need no regex: the common, fast path
        structured = _structured_for(token)
        if structured is not None:
            masked = structured.sub(WILDCARD, token)
        if "(" in masked or "[" in masked or "{" in masked or '"' in masked or "'" in masked:
            masked = _EMPTY.sub(_empty_sub, masked)
        if "=" in masked:
            masked = _KEY_VALUE.sub(_kv_sub, masked)
        if "=" in masked or ":" in masked:
            masked = _BOOL_VALUE.sub(WILDCARD, masked)
        masked = _DIGITS.sub(WILDCARD, masked)
        if "<<" in masked or ">" in masked[:1] or "~" in masked:
            masked = _APPROX.sub("", masked)  # "<1", "~5": approximate numbers
        if masked != WILDCARD and masked.count(WILDCARD) > 1 and not _ONLY_WILD.sub("", masked):
            masked = WILDCARD
    if len(_token_cache) >= _CACHE_LIMIT:
        _token_cache.clear()
    _token_cache[token] = masked
    return masked


def _empty_sub(match: re.Match[str]) -> str:
    return match.group(0)[0] + WILDCARD + match.group(0)[1]


def _kv_sub(match: re.Match[str]) -> str:
    return match.group(1) + WILDCARD


def _shape(message: str) -> bytes:
    """The message with its digits zeroed, as bytes (``bytes.translate`` is a table lookup)."""
    return message.encode("utf-8", "surrogatepass").translate(_ZERO_BYTES)


def _shaped_tokens(message: str, shape: bytes) -> tuple[str, ...]:
    # Messages that differ only in their digits mask to the same tokens (every pattern treats
    # all digits alike), so the work is done once per shape of message.
    known = _shape_cache.get(shape)
    if known is None:
        known = tuple(_tokenize(message))
        if len(_shape_cache) >= _CACHE_LIMIT:
            _shape_cache.clear()
        _shape_cache[shape] = known
    return known


def tokenize(message: str) -> list[str]:
    """Split a message on whitespace and mask each token; runs of ``<*>`` fold into one."""
    return list(_shaped_tokens(message, _shape(message)))


def _tokenize(message: str) -> list[str]:
    if _HAS_MONTH.search(message):
        message = _DATE.sub(" <*> ", message)
    out: list[str] = []
    last = ""
    cached = _token_cache.get
    units = _UNIT_FORMS
    for raw in message.split():
        token = cached(raw) or _mask_token(raw)
        if token in units and last.endswith(WILDCARD):
            # "35 ms", "(1.16 KB)": a quantity and its unit are one variable
            token = out.pop() + units[token]
            last = out[-1] if out else ""
        if token in _ANNOTATIONS:
            continue  # "(<*>)": an optional annotation ("(1.16 KB)", "(uid=0)"), not structure
        if token == WILDCARD and last == WILDCARD:
            continue
        out.append(token)
        last = token
    return out


class Template(BaseModel):
    """One mined template.

    Attributes:
        id: stable identifier (hash of the first template, with a suffix on collision).
        template: the tokens joined by spaces, variables as ``<*>``.
        count: how many messages matched it.
    """

    id: str
    template: str
    count: int


@dataclass(frozen=True, slots=True)
class TemplateMatch:
    """What :meth:`TemplateMiner.add` made of one message.

    Attributes:
        template_id: the template the message belongs to.
        template: that template's current text.
        is_new: the message started a new template.
        changed: an existing template was generalised by this message.
    """

    template_id: str
    template: str
    is_new: bool
    changed: bool = False


@dataclass(slots=True)
class _Cluster:
    id: str
    tokens: list[str]
    count: int = 0
    merged_into: str | None = None
    text: str = ""
    # The answer for a message that matches this cluster exactly (immutable, so shared);
    # rebuilt whenever the template changes.
    hit: TemplateMatch | None = None

    def refresh(self) -> str:
        self.text = " ".join(self.tokens)
        self.hit = TemplateMatch(template_id=self.id, template=self.text, is_new=False)
        return self.text


@dataclass(slots=True)
class _Route:
    """What one shape of message (digits zeroed) led to last time: its tokens, leaf, cluster."""

    tokens: list[str]
    leaf: _Node
    cluster: _Cluster | None = None


@dataclass(slots=True)
class _Node:
    children: dict[str, _Node] = field(default_factory=dict)
    clusters: list[_Cluster] = field(default_factory=list)


def _similarity(template: list[str], tokens: list[str]) -> tuple[float, int, int]:
    same = 0
    wild = 0
    for a, b in zip(template, tokens, strict=False):
        if a == b:
            same += 1
        elif WILDCARD in a:
            wild += 1
    n = len(template) or 1
    return (same + 0.5 * wild) / n, wild, n - same - wild


class TemplateMiner:
    """Online template miner with one configuration for every source.

    Thread-safe.  ``add`` learns, ``match`` only looks up.

    Args:
        similarity: minimum similarity (equal tokens count 1, tokens under a wildcard 0.5,
            divided by the length) for a message to join a cluster.
        join_similarity: the higher similarity needed when joining would turn a constant
            token of the template into a wildcard.
        siblings: clusters that differ in a single position are folded into one template
            with a wildcard there once this many distinct values have been seen.
        depth: tokens of prefix used to route a message (after the length level).
        max_children: children per tree node before new tokens go to the wildcard child.
        max_templates: templates kept at most; past it, messages that fit none are counted
            under the catch-all template ``overflow`` (memory stays bounded).

    Example:
        >>> miner = TemplateMiner()
        >>> miner.add("Connected to db1 in 35 ms").template
        'Connected to <*> in <*>'
        >>> miner.add("Connected to db2 in 12 ms").is_new
        False
    """

    def __init__(
        self,
        *,
        similarity: float = 0.6,
        join_similarity: float = 0.85,
        siblings: int = 3,
        depth: int = 2,
        max_children: int = 100,
        max_templates: int = 50_000,
    ) -> None:
        if not 0 < similarity <= 1 or not 0 < join_similarity <= 1:
            raise ConfigurationError("similarity and join_similarity must be in (0, 1]")
        if siblings < 2:
            raise ConfigurationError("siblings must be at least 2")
        self.similarity = similarity
        self.join_similarity = join_similarity
        self.siblings = siblings
        self.depth = max(depth, 1)
        self.max_children = max_children
        self.max_templates = max_templates
        self._by_length: dict[int, _Node] = {}
        self._clusters: dict[str, _Cluster] = {}
        # Shape of message -> its route.  A leaf, once chosen for some tokens, never changes
        # (tree nodes are only ever added), so the route is kept for the miner's lifetime.
        self._routes: dict[bytes, _Route] = {}
        self._lock = threading.RLock()

    # -- learning -------------------------------------------------------------------------
    def add(self, message: str) -> TemplateMatch:
        """Learn from one message and return its template.

        Args:
            message: the log message (header such as timestamp and level already removed).

        Returns:
            The template match; ``is_new`` when it started a template.
        """
        shape = _shape(message)
        with self._lock:
            route = self._routes.get(shape)
            if route is not None:
                cluster = route.cluster
                # At most one live cluster of a leaf has exactly these tokens, and _best would
                # pick it first: the fast path for the usual, already-seen message.
                if (
                    cluster is not None
                    and cluster.merged_into is None
                    and cluster.tokens == route.tokens
                    and cluster.hit is not None
                ):
                    cluster.count += 1
                    return cluster.hit
            else:
                tokens = list(_shaped_tokens(message, shape))
                route = _Route(tokens, self._grow(tokens))
                if len(self._routes) >= _CACHE_LIMIT:
                    self._routes.clear()
                self._routes[shape] = route
            tokens = route.tokens
            leaf = route.leaf
            best = self._best(leaf.clusters, tokens)
            if best is None and len(self._clusters) >= self.max_templates:
                # Bounded memory whatever comes in: past the limit, unknown shapes are counted
                # under one catch-all template instead of starting new ones.
                overflow = self._overflow()
                overflow.count += 1
                return TemplateMatch(template_id=overflow.id, template=overflow.text, is_new=False)
            if best is None:
                cluster = _Cluster(self._new_id(tokens), list(tokens), 1)
                cluster.refresh()
                leaf.clusters.append(cluster)
                self._clusters[cluster.id] = cluster
                if WILDCARD in tokens:
                    self._merge_into(leaf, cluster)
                merged = self._merge_siblings(leaf, cluster)
                if merged is not None:
                    route.cluster = merged
                    return TemplateMatch(
                        template_id=merged.id, template=merged.text, is_new=False, changed=True
                    )
                route.cluster = cluster
                return TemplateMatch(template_id=cluster.id, template=cluster.text, is_new=True)
            route.cluster = best
            best.count += 1
            changed = False
            if best.tokens != tokens:
                for i, (a, b) in enumerate(zip(best.tokens, tokens, strict=True)):
                    if a != b and a != WILDCARD:
                        best.tokens[i] = WILDCARD
                        changed = True
            if changed:
                best.refresh()
                self._merge_into(leaf, best)
            return TemplateMatch(
                template_id=best.id, template=best.text, is_new=False, changed=changed
            )

    def match(self, message: str) -> TemplateMatch | None:
        """Find the template of a message without learning; ``None`` when none fits."""
        tokens = tokenize(message)
        with self._lock:
            leaf = self._leaf(tokens, create=False)
            if leaf is None:
                return None
            best = self._best(leaf.clusters, tokens)
            if best is None:
                return None
            return TemplateMatch(template_id=best.id, template=best.text, is_new=False)

    def resolve(self, template_id: str) -> str:
        """Follow merges: the id that a (possibly merged) template id now lives under."""
        with self._lock:
            cluster = self._clusters.get(template_id)
            while cluster is not None and cluster.merged_into is not None:
                cluster = self._clusters.get(cluster.merged_into)
            return cluster.id if cluster is not None else template_id

    def template(self, template_id: str) -> Template | None:
        """The current template behind an id (merges followed), or ``None``."""
        with self._lock:
            cluster = self._clusters.get(self.resolve(template_id))
            if cluster is None:
                return None
            return Template(id=cluster.id, template=" ".join(cluster.tokens), count=cluster.count)

    @property
    def templates(self) -> list[Template]:
        """Every live template, most frequent first."""
        with self._lock:
            live = [c for c in self._clusters.values() if c.merged_into is None]
            live.sort(key=lambda c: (-c.count, c.id))
            return [Template(id=c.id, template=" ".join(c.tokens), count=c.count) for c in live]

    def __len__(self) -> int:
        return sum(1 for c in self._clusters.values() if c.merged_into is None)

    # -- internals ------------------------------------------------------------------------
    def _overflow(self) -> _Cluster:
        cluster = self._clusters.get(OVERFLOW_ID)
        if cluster is None:
            cluster = self._clusters[OVERFLOW_ID] = _Cluster(OVERFLOW_ID, [WILDCARD], 0)
            cluster.refresh()
        return cluster

    def _grow(self, tokens: list[str]) -> _Node:
        """The leaf for these tokens, created when missing."""
        leaf = self._leaf(tokens, create=True)
        if leaf is None:  # pragma: no cover - create=True always yields a node
            raise RuntimeError("template tree lost a leaf")
        return leaf

    def _leaf(self, tokens: list[str], *, create: bool) -> _Node | None:
        n = len(tokens)
        node = self._by_length.get(n)
        if node is None:
            if not create:
                return None
            node = self._by_length[n] = _Node()
        for token in tokens[: min(self.depth, n - 1)] if n > 1 else ():
            if token.count(".") >= 2:
                token = WILDCARD  # dotted names (com.apple.x, org.y.Z) are usually variables
            child = node.children.get(token)
            if child is None:
                # An unknown token goes to the wildcard child when the node is full (or when
                # only looking up); digits never get here, masking made them wildcards.
                if not create or len(node.children) >= self.max_children:
                    token = WILDCARD
                    child = node.children.get(token)
                if child is None:
                    if not create:
                        return None
                    child = node.children[token] = _Node()
            node = child
        return node

    def _best(self, clusters: list[_Cluster], tokens: list[str]) -> _Cluster | None:
        best: _Cluster | None = None
        best_key = (-1.0, -1)
        for cluster in clusters:
            if cluster.tokens == tokens and cluster.merged_into is None:
                return cluster  # the common case: an exact match of the masked tokens
        for cluster in clusters:
            if cluster.merged_into is not None:
                continue
            sim, wild, mismatch = _similarity(cluster.tokens, tokens)
            if mismatch and sim < self.join_similarity:
                continue
            if sim >= self.similarity and (sim, wild) > best_key:
                best, best_key = cluster, (sim, wild)
        return best

    def _merge_siblings(self, leaf: _Node, new: _Cluster) -> _Cluster | None:
        # Clusters that differ from ``new`` in one position only: once ``siblings`` of them
        # exist, that position is a variable (user names, service names…): fold them.
        tokens = new.tokens
        # Each live cluster of the leaf with the one position where it differs from ``new``
        # (-1: nowhere); clusters that differ in two or more positions can never be folded.
        near: list[tuple[_Cluster, int]] = []
        for c in leaf.clusters:
            if c.merged_into is not None:
                continue
            where = -1
            for i, (a, b) in enumerate(zip(c.tokens, tokens, strict=True)):
                if a != b:
                    if where >= 0:
                        break
                    where = i
            else:
                near.append((c, where))
        all_constants = sum(1 for t in tokens if t != WILDCARD)
        for pos in sorted({where for _, where in near if where >= 0}):
            group = [c for c, where in near if where in (-1, pos)]
            constants = all_constants - (tokens[pos] != WILDCARD)
            if constants and len({c.tokens[pos] for c in group}) >= self.siblings:
                # The most established cluster keeps its id, so ids stay stable.
                keep = max(group, key=lambda c: c.count)
                keep.tokens[pos] = WILDCARD
                keep.refresh()
                for other in group:
                    if other is not keep:
                        other.merged_into = keep.id
                        keep.count += other.count
                leaf.clusters = [c for c in leaf.clusters if c.merged_into is None]
                self._merge_into(leaf, keep)
                return keep
        return None

    def _merge_into(self, leaf: _Node, keep: _Cluster) -> None:
        # After generalising, other clusters of the leaf may now be covered by ``keep``
        # (never by a template that is all wildcards: it would swallow the whole leaf).
        if all(t == WILDCARD for t in keep.tokens):
            return
        for other in leaf.clusters:
            if other is keep or other.merged_into is not None:
                continue
            if all(a in (b, WILDCARD) for a, b in zip(keep.tokens, other.tokens, strict=True)):
                other.merged_into = keep.id
                keep.count += other.count
        leaf.clusters = [c for c in leaf.clusters if c.merged_into is None]

    def _new_id(self, tokens: list[str]) -> str:
        digest = hashlib.blake2b(" ".join(tokens).encode(), digest_size=5).hexdigest()
        candidate, n = digest, 1
        while candidate in self._clusters:
            n += 1
            candidate = f"{digest}-{n}"
        return candidate

    # -- persistence ----------------------------------------------------------------------
    def to_state(self) -> dict[str, Any]:
        """The whole state as JSON-compatible data."""
        with self._lock:
            return {
                "version": STATE_VERSION,
                "config": {
                    "similarity": self.similarity,
                    "join_similarity": self.join_similarity,
                    "siblings": self.siblings,
                    "depth": self.depth,
                    "max_children": self.max_children,
                    "max_templates": self.max_templates,
                },
                "clusters": [
                    {"id": c.id, "tokens": c.tokens, "count": c.count, "merged_into": c.merged_into}
                    for c in self._clusters.values()
                ],
            }

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> TemplateMiner:
        """Rebuild a miner from :meth:`to_state` data.

        Raises:
            StateError: the data is not a state of this version.
        """
        try:
            if state.get("version") != STATE_VERSION:
                raise StateError(f"unsupported template state version {state.get('version')!r}")
            cfg = state["config"]
            miner = cls(
                similarity=float(cfg["similarity"]),
                join_similarity=float(cfg["join_similarity"]),
                siblings=int(cfg["siblings"]),
                depth=int(cfg["depth"]),
                max_children=int(cfg["max_children"]),
                max_templates=int(cfg.get("max_templates", 50_000)),
            )
            for raw in state["clusters"]:
                tokens = [str(t) for t in raw["tokens"]]
                merged = raw.get("merged_into")
                cluster = _Cluster(
                    str(raw["id"]), tokens, int(raw["count"]), str(merged) if merged else None
                )
                cluster.refresh()
                miner._clusters[cluster.id] = cluster
                if cluster.merged_into is None and cluster.id != OVERFLOW_ID:
                    miner._grow(tokens).clusters.append(cluster)
        except (KeyError, TypeError, ValueError, AttributeError) as exc:
            if isinstance(exc, StateError):
                raise
            raise StateError(f"invalid template state: {exc}") from exc
        return miner

    def save(self, path: str | os.PathLike[str]) -> None:
        """Write the state as JSON, atomically (temporary file, then rename)."""
        write_json_atomic(Path(path), self.to_state())

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> TemplateMiner:
        """Read a state written by :meth:`save`.

        Raises:
            StateError: the file is not valid JSON state.
        """
        return cls.from_state(read_json(Path(path)))


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON to ``path`` atomically (a temporary file in the same folder, then rename)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, separators=(",", ":"))
            fh.flush()
            os.fsync(fh.fileno())
        Path(tmp).replace(path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def read_json(path: Path) -> Any:
    """Read a JSON state file.

    Raises:
        StateError: unreadable or not JSON.
    """
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise StateError(f"cannot read state {path}: {exc}") from exc
