"""Per-key rate budgets and key rests, shared by every process through the state store.

Budgets are sliding windows (``StateStore.hit``): a call consumes one unit of every window of
its key before it is made, so no schedule of calls exceeds any budget. Limit answers rest a key
(or one of its endpoints) until the provider's ``Retry-After``; a 401 denies the whole key for an
hour, a 403 one kind of data on one market (premium-only candles, non-US quotes on a free
key). State-store keys name API keys by their hash, never by value.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collections.abc import Callable

    from marketdata._keys import ApiKey
    from marketdata._providers import Provider
    from statestore import AsyncStateStore

DENY_TTL = 3600.0


class BudgetSpentError(Exception):
    """Internal: the key's budget is spent; ``retry_after`` seconds until one unit frees."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate budget spent, retry after {retry_after:.1f} s")
        self.retry_after = retry_after


def budget_key(namespace: str, provider: str, key: ApiKey, window: float) -> str:
    """The state-store key of one rate budget (holds the key's hash, never the key)."""
    return f"{namespace}:rate:{provider}:{key.id}:{int(window)}"


class KeyLimits:
    """Budgets, rests and denials of provider keys, in one namespace of a state store.

    Args:
        store: The async state store.
        namespace: Prefix of every key (``MARKETDATA_NAMESPACE``).
        clock: Wall-clock seconds.
        count: Called with a counter name when a key is rested (statistics).
        slack: Seconds added to every window, so that calls bunched by network delay
            still arrive within the provider's limit.
    """

    def __init__(
        self,
        store: AsyncStateStore,
        namespace: str,
        clock: Callable[[], float],
        count: Callable[[str], None],
        slack: float = 0.0,
    ) -> None:
        self.slack = slack
        self._store = store
        self._namespace = namespace
        self._prefix = namespace + ":"
        self._clock = clock
        self._count = count

    async def resting(
        self, name: str, key: ApiKey, scope: str, endpoint: str
    ) -> tuple[bool, float | None]:
        """Whether the key is denied this scope (``kind:market``), and how long it still rests.

        Returns:
            ``(denied, seconds)``; ``seconds`` is None when the key is not resting.
        """
        base = f"{self._prefix}rest:{name}:{key.id}"
        deny = f"{self._prefix}deny:{name}:{key.id}"
        if await self._store.get(f"{deny}:*") or await self._store.get(f"{deny}:{scope}"):
            return True, None
        longest: float | None = None
        for until in (await self._store.get(base), await self._store.get(f"{base}:{endpoint}")):
            if until is None:
                continue
            try:
                left = max(0.0, float(until) - self._clock())
            except ValueError:
                continue
            longest = left if longest is None else max(longest, left)
        return False, longest

    async def rest(self, name: str, key: ApiKey, seconds: float, endpoint: str = "") -> None:
        """Rest the key (or only its ``endpoint``) for ``seconds``."""
        seconds = max(seconds, 0.001)
        self._count(f"key_rests:{name}")
        until = str(self._clock() + seconds).encode()
        suffix = f":{endpoint}" if endpoint else ""
        await self._store.set(f"{self._prefix}rest:{name}:{key.id}{suffix}", until, ttl=seconds)

    async def deny(self, name: str, key: ApiKey, scope: str) -> None:
        """Stop using the key for an hour: for ``scope`` (``kind:market``), or ``*`` for all."""
        await self._store.set(f"{self._prefix}deny:{name}:{key.id}:{scope}", b"1", ttl=DENY_TTL)

    async def take(self, provider: Provider, key: ApiKey) -> None:
        """Consume one call from every budget of the key.

        Raises:
            BudgetSpentError: a window is full (nothing more is consumed).
        """
        for limit, window in provider.limits:
            decision = await self._store.peek(
                budget_key(self._namespace, provider.name, key, window),
                limit=limit,
                window=window + self.slack,
            )
            if not decision.allowed:
                raise BudgetSpentError(decision.retry_after)
        for limit, window in provider.limits:
            decision = await self._store.hit(
                budget_key(self._namespace, provider.name, key, window),
                limit=limit,
                window=window + self.slack,
            )
            if not decision.allowed:
                raise BudgetSpentError(decision.retry_after)
