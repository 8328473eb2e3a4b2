"""Symbols normalised between providers.

The canonical form is upper case, share classes joined with a dot (``BRK.B``) and exchange
suffixes in the short form Finnhub (and most quote sites) use (``VOD.L``, ``SHOP.TO``).
Alpha Vantage spells exchanges with three letters (``VOD.LON``, ``SHOP.TRT``) and share
classes with a hyphen (``BRK-B``); :func:`to_provider` and :func:`from_provider` translate.
"""

from __future__ import annotations

import functools
import re

from marketdata._exceptions import InvalidRequestError

# Alpha Vantage exchange suffix -> canonical (Finnhub/Yahoo) suffix.
_AV_TO_CANONICAL: dict[str, str] = {
    "LON": "L",
    "TRT": "TO",
    "TRV": "V",
    "DEX": "DE",
    "FRK": "F",
    "BSE": "BO",
    "SHH": "SS",
    "SHZ": "SZ",
    "HKG": "HK",
    "PAR": "PA",
    "AMS": "AS",
    "STO": "ST",
    "MIL": "MI",
    "SAO": "SA",
}
_CANONICAL_TO_AV = {v: k for k, v in _AV_TO_CANONICAL.items()}
# One-letter suffixes that are exchanges, not share classes.
_ONE_LETTER_EXCHANGES = frozenset({"L", "F", "V"})
# separators only between characters: ``IBM.``, ``A..B`` or ``A:`` would each be cached (and
# billed) as a datum of their own while naming nothing
_VALID = re.compile(r"[A-Z0-9][A-Z0-9^=_]*(?:[.\-:/][A-Z0-9^=_]+)*")
_MAX_LENGTH = 32


@functools.lru_cache(maxsize=8192)
def normalize_symbol(text: str) -> str:
    """Return the canonical spelling of a symbol typed by a user or sent by a provider.

    Args:
        text: ``brk-b``, ``BRK/B``, ``vod.lon``, ``BINANCE:BTCUSDT`` ...

    Returns:
        ``BRK.B``, ``BRK.B``, ``VOD.L``, ``BINANCE:BTCUSDT``.

    Raises:
        InvalidRequestError: the text cannot be a symbol (empty, spaces, odd characters).
    """
    symbol = text.strip()
    # ASCII only: ``str.upper`` would turn a Turkish dotless i (U+0131) into ``I``
    symbol = symbol.upper() if symbol.isascii() else ""
    if len(symbol) > _MAX_LENGTH or not _VALID.fullmatch(symbol):
        raise InvalidRequestError(f"not a symbol: {text!r}")
    if ":" in symbol:  # exchange-prefixed feeds (BINANCE:BTCUSDT) are passed through
        return symbol
    base, sep, suffix = symbol.rpartition(".")
    if sep and base and suffix in _AV_TO_CANONICAL:
        return f"{base}.{_AV_TO_CANONICAL[suffix]}"
    for joiner in ("-", "/"):
        base, sep, suffix = symbol.rpartition(joiner)
        if sep and base and base.isalpha() and len(suffix) == 1 and suffix.isalpha():
            return f"{base}.{suffix}"
    return symbol


def to_provider(symbol: str, provider: str) -> str:
    """Spell a canonical symbol the way ``provider`` expects it.

    Args:
        symbol: A canonical symbol (see :func:`normalize_symbol`).
        provider: ``alphavantage`` or ``finnhub`` (others get the canonical form).

    Returns:
        The provider's spelling.
    """
    if provider != "alphavantage" or ":" in symbol:
        return symbol
    base, sep, suffix = symbol.rpartition(".")
    if not sep or not base:
        return symbol
    if suffix in _CANONICAL_TO_AV:
        return f"{base}.{_CANONICAL_TO_AV[suffix]}"
    if len(suffix) == 1 and suffix not in _ONE_LETTER_EXCHANGES and base.isalpha():
        return f"{base}-{suffix}"
    return symbol


def from_provider(symbol: str, provider: str) -> str:
    """Canonical spelling of a symbol as a provider wrote it.

    Args:
        symbol: The provider's spelling.
        provider: The provider's name.

    Returns:
        The canonical symbol; the input upper-cased when it cannot be normalised.
    """
    del provider  # one mapping covers both today; kept for providers that need their own
    try:
        return normalize_symbol(symbol)
    except InvalidRequestError:
        return symbol.strip().upper()


def market_of(symbol: str | None) -> str:
    """The market a canonical symbol trades on, for scoping access refusals.

    Args:
        symbol: A canonical symbol, or None (market-wide data).

    Returns:
        The exchange suffix (``L`` for ``VOD.L``), the feed prefix (``BINANCE`` for
        ``BINANCE:BTCUSDT``), ``US`` for plain and share-class symbols, ``*`` for None.
    """
    if symbol is None:
        return "*"
    if ":" in symbol:
        return symbol.split(":", 1)[0]
    base, sep, suffix = symbol.rpartition(".")
    if not sep or not base:
        return "US"
    if len(suffix) == 1 and suffix not in _ONE_LETTER_EXCHANGES and base.isalpha():
        return "US"  # a share class (BRK.B)
    return suffix
