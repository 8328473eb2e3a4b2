"""A daemon-thread wrapper shared by the stream runner and the delivery worker."""

from __future__ import annotations

import threading


class Background:
    """Mixin: run ``self.run(stop_event)`` in a daemon thread with :meth:`start` / :meth:`stop`.

    Subclasses set ``_thread_name`` and call :meth:`_init_background` in ``__init__``.
    """

    _thread_name = "alerts"

    def _init_background(self) -> None:
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def run(self, stop: threading.Event | None = None) -> None:
        """Loop until ``stop`` is set (implemented by the subclass)."""
        raise NotImplementedError

    def start(self) -> None:
        """Run :meth:`run` in a daemon thread (no-op when it is already running)."""
        if self._thread is not None and self._thread.is_alive():
            return
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name=self._thread_name, daemon=True)
        self._thread.start()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop the thread started by :meth:`start` and wait for it up to ``timeout`` seconds."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None
