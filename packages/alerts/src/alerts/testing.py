"""Test helpers: a channel that records what it is sent and can be told to fail."""

from __future__ import annotations

import threading
from collections import deque
from typing import TYPE_CHECKING

from alerts._channels import Channel

if TYPE_CHECKING:
    from alerts._exceptions import ChannelError
    from alerts._notification import Notification

__all__ = ["RecordingChannel"]


class RecordingChannel(Channel):
    """A channel that keeps every notification it is sent, in order.

    Args:
        name: the channel's name.
        failures: errors to raise, one per send, before sending succeeds again (e.g.
            ``[ChannelTransientError("down"), ChannelRateLimitedError("429", 2.0)]``).

    Example:
        >>> from alerts.testing import RecordingChannel
        >>> channel = RecordingChannel("rec")
        >>> channel.sent
        []
    """

    def __init__(self, name: str = "recording", failures: list[ChannelError] | None = None) -> None:
        self.name = name
        self.sent: list[Notification] = []
        self.attempts = 0
        self._failures: deque[ChannelError] = deque(failures or ())
        self._lock = threading.Lock()

    def fail_next(self, *errors: ChannelError) -> None:
        """Queue errors for the next sends."""
        with self._lock:
            self._failures.extend(errors)

    def send(self, notification: Notification) -> None:
        """Record the notification, or raise the next queued failure."""
        with self._lock:
            self.attempts += 1
            if self._failures:
                raise self._failures.popleft()
            self.sent.append(notification)

    @property
    def ids(self) -> list[str]:
        """The ids of the notifications received, in order."""
        return [n.id for n in self.sent]
