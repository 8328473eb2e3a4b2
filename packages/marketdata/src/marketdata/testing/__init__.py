"""Local provider emulators for tests, benchmarks and end-to-end suites.

Every emulator speaks its provider's real wire format over a real socket on 127.0.0.1,
serves realistic payloads for any symbol (``ZZZ*``/``INVALID*`` symbols are unknown), and
counts upstream calls. Faults are queued with :class:`Fault` and each is played once::

    from marketdata.testing import AlphaVantageEmulator, Fault

    with AlphaVantageEmulator(latency=0.05) as av:
        av.inject(Fault.note(), Fault.http(503), Fault.reset())
        ...  # point MARKETDATA_ALPHAVANTAGE_URL at av.url
        assert av.calls == 4

From another process, or another language: ``python -m marketdata.testing --port 0`` starts
all three and prints one JSON line with their URLs; ``GET <url>/_emulator/calls``,
``POST <url>/_emulator/faults`` (a JSON list of ``Fault.to_json()`` objects) and
``POST <url>/_emulator/reset`` control the REST ones.
"""

from __future__ import annotations

from typing import Any, Self

from marketdata.testing._alphavantage import AlphaVantageEmulator
from marketdata.testing._faults import Fault
from marketdata.testing._finnhub import FinnhubEmulator
from marketdata.testing._http import HTTPEmulator, RecordedCall
from marketdata.testing._ws import FinnhubWebSocketEmulator

__all__ = [
    "AlphaVantageEmulator",
    "Fault",
    "FinnhubEmulator",
    "FinnhubWebSocketEmulator",
    "HTTPEmulator",
    "ProviderEmulators",
    "RecordedCall",
]


class ProviderEmulators:
    """All three emulators at once, with the environment that points a client at them.

    Args:
        latency: Seconds added to every REST answer.
        websocket: Also start the Finnhub WebSocket emulator.
        **kwargs: Passed to both REST emulators (``keys``, ``unknown_symbols`` ...).

    Example::

        with ProviderEmulators() as emu:
            env = emu.env  # {"MARKETDATA_ALPHAVANTAGE_URL": ..., ...}
    """

    def __init__(self, *, latency: float = 0.0, websocket: bool = True, **kwargs: Any) -> None:
        self.alphavantage = AlphaVantageEmulator(latency=latency, **kwargs)
        self.finnhub = FinnhubEmulator(latency=latency, **kwargs)
        self.websocket = FinnhubWebSocketEmulator() if websocket else None

    def start(self) -> Self:
        """Start every emulator."""
        self.alphavantage.start()
        self.finnhub.start()
        if self.websocket is not None:
            self.websocket.start()
        return self

    def stop(self) -> None:
        """Stop every emulator."""
        self.alphavantage.stop()
        self.finnhub.stop()
        if self.websocket is not None:
            self.websocket.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def calls(self) -> int:
        """Upstream REST calls across both providers."""
        return self.alphavantage.calls + self.finnhub.calls

    @property
    def env(self) -> dict[str, str]:
        """``MARKETDATA_*_URL`` variables for a client (or a subprocess) to use."""
        env = {
            "MARKETDATA_ALPHAVANTAGE_URL": self.alphavantage.url,
            "MARKETDATA_FINNHUB_URL": self.finnhub.url,
        }
        if self.websocket is not None:
            env["MARKETDATA_FINNHUB_WS_URL"] = self.websocket.url
        return env
