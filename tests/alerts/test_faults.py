"""Channel faults seen from the wire: hangs after accepting, HTML 500s, odd 429s, resets, SMTP
servers that hang up; and the worker under them: nothing lost, nothing doubled, nothing parked.
"""

from __future__ import annotations

import contextlib
import math
import socket
import struct
import threading
import time
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import TYPE_CHECKING

import pytest

from alerts import (
    ChannelRateLimitedError,
    ChannelTransientError,
    DeliveryWorker,
    EmailChannel,
    Outbox,
    WebhookChannel,
    verify_webhook,
)
from alerts.testing import RecordingChannel
from tests.alerts.helpers import note
from tests.alerts.servers import Answer

if TYPE_CHECKING:
    from collections.abc import Callable, Iterator

    from statestore import StateStore
    from tests.alerts.servers import Receiver

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"


class RawServer:
    """A TCP server on 127.0.0.1 that hands each connection to ``handler`` (in a thread)."""

    def __init__(self, handler: Callable[[socket.socket], None]) -> None:
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(8)
        self.port = self.sock.getsockname()[1]
        self.connections = 0
        self._handler = handler
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            self.connections += 1
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn: socket.socket) -> None:
        with conn, contextlib.suppress(OSError):  # the client hung up first
            self._handler(conn)

    def close(self) -> None:
        self.sock.close()


def read_request(conn: socket.socket) -> bytes:
    """Read one HTTP request (headers and Content-Length body)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = conn.recv(65536)
        if not chunk:
            return data
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    while len(body) < length:
        body += conn.recv(65536)
    return head + b"\r\n\r\n" + body


@pytest.fixture
def raw() -> Iterator[Callable[[Callable[[socket.socket], None]], RawServer]]:
    servers: list[RawServer] = []

    def make(handler: Callable[[socket.socket], None]) -> RawServer:
        servers.append(RawServer(handler))
        return servers[-1]

    yield make
    for server in servers:
        server.close()


def webhook(port: int, timeout: float = 2.0) -> WebhookChannel:
    return WebhookChannel("hook", f"http://127.0.0.1:{port}/in", SECRET, timeout=timeout)


class TestHTTPFaults:
    def test_accepts_then_times_out_is_transient(self, raw: Callable[..., RawServer]) -> None:
        def hang(conn: socket.socket) -> None:
            read_request(conn)
            time.sleep(1.0)  # took the request, never answers in time

        server = raw(hang)
        with pytest.raises(ChannelTransientError, match="timed out"):
            webhook(server.port, timeout=0.2).send(note())

    def test_reset_mid_body_is_transient(self, raw: Callable[..., RawServer]) -> None:
        def reset(conn: socket.socket) -> None:
            read_request(conn)
            conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nok, recei")
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))

        server = raw(reset)
        with pytest.raises(ChannelTransientError) as info:
            webhook(server.port).send(note())
        assert "127.0.0.1" not in str(info.value)  # no URL (secret for chat services)

    def test_500_with_an_html_page_is_transient_and_short(self, receiver: Receiver) -> None:
        page = b"<html><body>" + b"<p>Internal Server Error</p>\n" * 500 + b"</body></html>"
        receiver.script = [Answer(500, {"Content-Type": "text/html"}, page)]
        with pytest.raises(ChannelTransientError) as info:
            webhook(int(receiver.url.rsplit(":", 1)[1])).send(note())
        assert "HTTP 500" in str(info.value)
        assert len(str(info.value)) < 300
        assert "\n" not in str(info.value)

    @pytest.mark.parametrize(
        ("header", "low", "high"),
        [
            pytest.param("garbage", 1.0, 1.0, id="garbage"),
            pytest.param("inf", 1.0, 1.0, id="infinity"),
            pytest.param("nan", 1.0, 1.0, id="nan"),
            pytest.param("-30", 1.0, 1.0, id="negative"),
            pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 1.0, 1.0, id="date-in-the-past"),
            pytest.param("in-30s", 1.0, 1.0, id="words"),
        ],
    )
    def test_429_retry_after_is_always_finite(
        self, receiver: Receiver, header: str, low: float, high: float
    ) -> None:
        receiver.script = [Answer(429, {"Retry-After": header}, b"slow down")]
        with pytest.raises(ChannelRateLimitedError) as info:
            webhook(int(receiver.url.rsplit(":", 1)[1])).send(note())
        assert math.isfinite(info.value.retry_after)
        assert low <= info.value.retry_after <= high

    def test_429_retry_after_as_http_date(self, receiver: Receiver) -> None:
        when = format_datetime(datetime.now(tz=UTC) + timedelta(seconds=120), usegmt=True)
        receiver.script = [Answer(429, {"Retry-After": when}, b"")]
        with pytest.raises(ChannelRateLimitedError) as info:
            webhook(int(receiver.url.rsplit(":", 1)[1])).send(note())
        assert 110 <= info.value.retry_after <= 121

    def test_429_body_retry_after_nan_is_ignored(self, receiver: Receiver) -> None:
        body = b'{"ok":false,"error_code":429,"parameters":{"retry_after":NaN}}'
        receiver.script = [Answer(429, {"Content-Type": "application/json"}, body)]
        with pytest.raises(ChannelRateLimitedError) as info:
            webhook(int(receiver.url.rsplit(":", 1)[1])).send(note())
        assert info.value.retry_after == 1.0


class TestSMTPFaults:
    @pytest.mark.parametrize(
        "script",
        [
            pytest.param([], id="hangs-up-at-connect"),
            pytest.param([b"220 hi\r\n"], id="hangs-up-after-greeting"),
            pytest.param([b"220 hi\r\n", b"250 ok\r\n", b"250 ok\r\n"], id="hangs-up-mid-dialog"),
            pytest.param([b"421 busy, bye\r\n"], id="421-at-connect"),
        ],
    )
    def test_disconnects_are_transient(
        self, raw: Callable[..., RawServer], script: list[bytes]
    ) -> None:
        def smtp(conn: socket.socket) -> None:
            for n, line in enumerate(script):
                if n:
                    conn.recv(4096)
                conn.sendall(line)

        server = raw(smtp)
        channel = EmailChannel("mail", "127.0.0.1", server.port, "a@x.org", ["b@x.org"], timeout=2)
        with pytest.raises(ChannelTransientError):
            channel.send(note())


def drain(worker: DeliveryWorker, outbox: Outbox, seconds: float = 5.0) -> None:
    deadline = time.monotonic() + seconds
    while outbox.pending() and time.monotonic() < deadline:
        if not worker.run_once():
            time.sleep(0.01)


class TestWorkerUnderFaults:
    def test_accept_then_timeout_is_redelivered_with_the_same_id(
        self, store: StateStore, raw: Callable[..., RawServer]
    ) -> None:
        seen: list[bytes] = []

        def flaky(conn: socket.socket) -> None:
            request = read_request(conn)
            seen.append(request)
            if len(seen) == 1:
                time.sleep(0.6)  # processed it, answer lost
                return
            conn.sendall(b"HTTP/1.1 204 No Content\r\n\r\n")

        server = raw(flaky)
        outbox = Outbox(store)
        worker = DeliveryWorker(
            outbox, {"hook": webhook(server.port, timeout=0.2)}, backoff_base=0.01
        )
        outbox.submit([note(channels=("hook",))])
        drain(worker, outbox)
        assert outbox.pending() == []
        assert outbox.dead_letters() == []
        ids = set()
        for request in seen:
            head, _, body = request.partition(b"\r\n\r\n")
            headers = {}
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.decode().partition(": ")
                headers[name.lower()] = value
            ids.add(verify_webhook(SECRET, headers, body))
        assert ids == {"ntf_test"}  # the receiver de-duplicates the second one

    def test_a_down_channel_costs_one_attempt_per_backoff_not_one_per_item(
        self, store: StateStore
    ) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelTransientError("down")] * 100)
        worker = DeliveryWorker(outbox, {"a": channel}, backoff_base=60)
        outbox.submit([note(id=f"n{i}", channels=("a",)) for i in range(10)])
        worker.run_once()
        assert channel.attempts == 1  # the other nine wait out the backoff unsent
        assert len(outbox.pending()) == 10

    def test_infinite_retry_after_from_any_channel_does_not_park_the_item(
        self, store: StateStore
    ) -> None:
        outbox = Outbox(store)
        channel = RecordingChannel("a", [ChannelRateLimitedError("429", math.inf)])
        worker = DeliveryWorker(outbox, {"a": channel})
        outbox.submit([note(channels=("a",))])
        worker.run_once()
        (entry,) = outbox.pending()
        assert entry.available_at <= time.time() + 2

    def test_slow_channel_never_outlives_its_lease_into_a_double_send(
        self, store: StateStore
    ) -> None:
        class Slow(RecordingChannel):
            def send(self, notification: object) -> None:
                time.sleep(0.1)
                super().send(notification)  # type: ignore[arg-type]

        outbox = Outbox(store)
        channel = Slow("a")
        workers = [DeliveryWorker(outbox, {"a": channel}, lease=0.3) for _ in range(2)]
        outbox.submit([note(id=f"n{i}", channels=("a",)) for i in range(8)])
        threads = [threading.Thread(target=drain, args=(w, outbox)) for w in workers]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(channel.ids) == [f"n{i}" for i in range(8)]  # each once
