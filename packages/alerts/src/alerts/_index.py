"""Sorted threshold lists and per-symbol books: evaluation cost independent of rule count."""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from decimal import Decimal


@dataclass(slots=True)
class SortedThresholds:
    """Rule ids ordered by a Decimal key, so a move finds the rules it crossed."""

    keys: list[Decimal] = field(default_factory=list)
    ids: list[str] = field(default_factory=list)

    def add(self, key: Decimal, rule_id: str) -> None:
        """Insert ``rule_id`` at ``key`` (keys may repeat)."""
        i = bisect_right(self.keys, key)
        self.keys.insert(i, key)
        self.ids.insert(i, rule_id)

    def remove(self, key: Decimal, rule_id: str) -> None:
        """Remove ``rule_id`` stored at ``key``; no-op when absent."""
        i = bisect_left(self.keys, key)
        while i < len(self.keys) and self.keys[i] == key:
            if self.ids[i] == rule_id:
                del self.keys[i]
                del self.ids[i]
                return
            i += 1

    def left(self, key: Decimal) -> int:
        """Index of the first key >= ``key``."""
        return bisect_left(self.keys, key)

    def right(self, key: Decimal) -> int:
        """Index of the first key > ``key``."""
        return bisect_right(self.keys, key)

    def __len__(self) -> int:
        return len(self.keys)


@dataclass(slots=True)
class MinMaxWindow:
    """Sliding-window minimum and maximum of (time, price) in amortised O(1) per point."""

    span: float
    mins: deque[tuple[float, Decimal]] = field(default_factory=deque)
    maxs: deque[tuple[float, Decimal]] = field(default_factory=deque)

    def push(self, at: float, price: Decimal) -> None:
        """Add a point and drop what fell out of the window."""
        while self.mins and self.mins[-1][1] >= price:
            self.mins.pop()
        self.mins.append((at, price))
        while self.maxs and self.maxs[-1][1] <= price:
            self.maxs.pop()
        self.maxs.append((at, price))
        self.expire(at)

    def expire(self, now: float) -> None:
        """Drop points older than ``now - span``."""
        horizon = now - self.span
        while self.mins and self.mins[0][0] < horizon:
            self.mins.popleft()
        while self.maxs and self.maxs[0][0] < horizon:
            self.maxs.popleft()

    @property
    def low(self) -> Decimal | None:
        """Lowest price in the window."""
        return self.mins[0][1] if self.mins else None

    @property
    def high(self) -> Decimal | None:
        """Highest price in the window."""
        return self.maxs[0][1] if self.maxs else None


@dataclass(slots=True)
class SymbolBook:
    """Everything the engine keeps per symbol: its rule indexes and its recent market memory."""

    above: SortedThresholds = field(default_factory=SortedThresholds)
    below: SortedThresholds = field(default_factory=SortedThresholds)
    cross_up: SortedThresholds = field(default_factory=SortedThresholds)
    cross_down: SortedThresholds = field(default_factory=SortedThresholds)
    band_lower: SortedThresholds = field(default_factory=SortedThresholds)
    band_upper: SortedThresholds = field(default_factory=SortedThresholds)
    moves: list[str] = field(default_factory=list)
    volumes: list[str] = field(default_factory=list)
    nodata: list[str] = field(default_factory=list)
    windows: dict[float, MinMaxWindow] = field(default_factory=dict)
    active: set[str] = field(default_factory=set)
    last_price: Decimal | None = None
    last_seen: float | None = None
    last_event: str = ""
    last_ts: float | None = None  # newest market timestamp seen (out-of-order ticks are dropped)
    volume_history: deque[Decimal] = field(default_factory=lambda: deque(maxlen=1))

    def is_empty(self) -> bool:
        """True when no rule refers to this symbol any more."""
        return not (
            self.above
            or self.below
            or self.cross_up
            or self.cross_down
            or self.band_lower
            or self.moves
            or self.volumes
            or self.nodata
        )
