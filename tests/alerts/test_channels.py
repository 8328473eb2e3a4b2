"""Channels against local servers speaking each service's format, 429s from real fixtures."""

from __future__ import annotations

import asyncio
import json
import socket
import time
from dataclasses import dataclass, field
from email import message_from_bytes
from typing import TYPE_CHECKING, Any

import pytest
from aiosmtpd.controller import Controller

from alerts import (
    Channel,
    ChannelPermanentError,
    ChannelRateLimitedError,
    ChannelTransientError,
    DiscordChannel,
    EmailChannel,
    Notification,
    SignatureVerificationError,
    SlackChannel,
    TelegramChannel,
    WebhookChannel,
    WordPressChannel,
    WordPressVerifier,
    deliver_all,
    escape_markdown_v2,
    parse_retry_after,
    sign_webhook,
    sign_wordpress,
    verify_webhook,
)
from alerts.testing import RecordingChannel
from tests.alerts.helpers import note
from tests.alerts.servers import Answer, Receiver, load_http_fixture

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
TOKEN = "123456:ABC-secret-token"


def json_answer(status: int, data: Any, headers: dict[str, str] | None = None) -> Answer:
    return Answer(
        status, {"Content-Type": "application/json", **(headers or {})}, json.dumps(data).encode()
    )


class TestStandardWebhooks:
    def test_official_vector(self, alerts_fixtures: Path) -> None:
        v = json.loads((alerts_fixtures / "standard_webhooks_vector.json").read_text())
        got = sign_webhook(v["secret"], v["msg_id"], v["timestamp"], v["payload"])
        assert got == v["expected_signature_header"]
        assert (
            verify_webhook(v["secret"], v["headers"], v["payload"], now=v["timestamp"])
            == (v["msg_id"])
        )

    @pytest.mark.parametrize(
        ("change", "message"),
        [
            pytest.param({"payload": '{"test": 1}'}, "no matching", id="tampered-body"),
            pytest.param({"now_offset": 301}, "tolerance", id="too-old"),
            pytest.param({"now_offset": -301}, "tolerance", id="too-new"),
            pytest.param({"drop": "webhook-signature"}, "missing", id="no-signature"),
            pytest.param({"secret": "whsec_" + "QUJD" * 8}, "no matching", id="wrong-secret"),
        ],
    )
    def test_verify_refuses(
        self, alerts_fixtures: Path, change: dict[str, Any], message: str
    ) -> None:
        v = json.loads((alerts_fixtures / "standard_webhooks_vector.json").read_text())
        headers = dict(v["headers"])
        if "drop" in change:
            headers.pop(change["drop"])
        with pytest.raises(SignatureVerificationError, match=message):
            verify_webhook(
                change.get("secret", v["secret"]),
                headers,
                change.get("payload", v["payload"]),
                now=v["timestamp"] + change.get("now_offset", 0),
            )

    def test_any_of_several_signatures_may_match(self, alerts_fixtures: Path) -> None:
        v = json.loads((alerts_fixtures / "standard_webhooks_vector.json").read_text())
        headers = {
            **v["headers"],
            "Webhook-Signature": "v1,bogus= " + v["headers"]["webhook-signature"],
        }
        del headers["webhook-signature"]
        verify_webhook(v["secret"], headers, v["payload"], now=v["timestamp"])

    def test_channel_sends_signed_request_receiver_can_verify(self, receiver: Receiver) -> None:
        channel = WebhookChannel("hook", f"{receiver.url}/hook", SECRET)
        channel.send(note())
        request = receiver.requests[0]
        assert request.headers["webhook-id"] == "ntf_test"
        assert verify_webhook(SECRET, request.headers, request.body) == "ntf_test"
        body = request.json()
        assert body["type"] == "alert.firing"
        assert body["data"]["rule_id"] == "ibm-up"  # type: ignore[index]


class TestSlack:
    def test_body_and_ok(self, receiver: Receiver) -> None:
        SlackChannel("slack", f"{receiver.url}/services/T/B/X").send(note("a <b> & c"))
        body = receiver.requests[0].json()
        assert set(body) == {"text", "blocks"}
        assert "a &lt;b&gt; &amp; c" in body["text"]  # type: ignore[operator]

    def test_long_message_is_cut_to_block_limit(self, receiver: Receiver) -> None:
        SlackChannel("slack", receiver.url).send(note("x" * 10_000))
        section = receiver.requests[0].json()["blocks"][0]["text"]["text"]  # type: ignore[index]
        assert len(section) <= 3000
        assert section.endswith("…")

    def test_429_retry_after_from_fixture(self, receiver: Receiver, alerts_fixtures: Path) -> None:
        receiver.script.append(load_http_fixture(alerts_fixtures / "slack_429_observed.http"))
        with pytest.raises(ChannelRateLimitedError) as info:
            SlackChannel("slack", receiver.url).send(note())
        assert info.value.retry_after == 1.0

    @pytest.mark.parametrize(
        ("status", "body", "error"),
        [
            pytest.param(400, "invalid_payload", ChannelPermanentError, id="400"),
            pytest.param(404, "channel_not_found", ChannelPermanentError, id="404"),
            pytest.param(410, "channel_is_archived", ChannelPermanentError, id="410"),
            pytest.param(500, "rollup_error", ChannelTransientError, id="500"),
            pytest.param(200, "not ok", ChannelPermanentError, id="200-not-ok"),
        ],
    )
    def test_error_table(
        self, receiver: Receiver, status: int, body: str, error: type[Exception]
    ) -> None:
        receiver.script.append(Answer(status, {"Content-Type": "text/plain"}, body.encode()))
        with pytest.raises(error):
            SlackChannel("slack", receiver.url).send(note())

    def test_error_table_fixture_rows_are_mapped(self, alerts_fixtures: Path) -> None:
        rows = [
            line.split(" ", 1)
            for line in (alerts_fixtures / "slack_webhook_errors.txt").read_text().splitlines()
            if line and not line.startswith("#")
        ]
        assert ("200", "ok") in [tuple(r) for r in rows]
        with Receiver() as server:
            for code, text in rows:
                server.script.append(Answer(int(code), {}, text.encode()))
                channel = SlackChannel("slack", server.url)
                if code == "200":
                    channel.send(note())
                else:
                    with pytest.raises(
                        ChannelPermanentError if int(code) < 500 else ChannelTransientError
                    ):
                        channel.send(note())


def unescape_markdown_v2(text: str) -> str:
    out, i = [], 0
    while i < len(text):
        if text[i] == "\\" and i + 1 < len(text):
            out.append(text[i + 1])
            i += 2
        else:
            out.append(text[i])
            i += 1
    return "".join(out)


class TestTelegram:
    def test_send_message_request(self, receiver: Receiver, alerts_fixtures: Path) -> None:
        receiver.default = json_answer(200, {"ok": True, "result": {"message_id": 1}})
        reference = json.loads((alerts_fixtures / "telegram_sendMessage_request.json").read_text())
        channel = TelegramChannel(
            "tg", TOKEN, reference["chat_id"], message_thread_id=42, api_url=receiver.url
        )
        channel.send(note("AAPL crossed up 200.00 (last 200.13) -1.5%!"))
        request = receiver.requests[0]
        assert request.path == f"/bot{TOKEN}/sendMessage"
        body = request.json()
        assert set(reference) - {"parse_mode"} <= set(body)
        assert body["chat_id"] == reference["chat_id"]
        assert body["parse_mode"] == "MarkdownV2"
        assert "200\\.00 \\(last 200\\.13\\) \\-1\\.5%\\!" in body["text"]  # type: ignore[operator]

    def test_escaping_covers_every_reserved_character(self) -> None:
        reserved = "_*[]()~`>#+-=|{}.!\\"
        escaped = escape_markdown_v2(reserved)
        assert escaped == "".join("\\" + c for c in reserved)
        assert unescape_markdown_v2(escaped) == reserved

    def test_4096_limit_counts_visible_characters(self, receiver: Receiver) -> None:
        receiver.default = json_answer(200, {"ok": True, "result": {}})
        channel = TelegramChannel("tg", TOKEN, 1, api_url=receiver.url)
        channel.send(note("a.b-" * 5000))
        text = str(receiver.requests[0].json()["text"])
        visible = unescape_markdown_v2(text).replace("*", "", 2)
        assert len(visible) <= 4096
        assert len(text) > 4096  # escapes do not count against the limit

    def test_429_uses_parameters_retry_after(
        self, receiver: Receiver, alerts_fixtures: Path
    ) -> None:
        data = json.loads((alerts_fixtures / "telegram_429_response.json").read_text())
        receiver.script.append(json_answer(429, data))
        with pytest.raises(ChannelRateLimitedError) as info:
            TelegramChannel("tg", TOKEN, 1, api_url=receiver.url).send(note())
        assert info.value.retry_after == 34
        assert TOKEN not in str(info.value)

    def test_parse_error_falls_back_to_plain_text(
        self, receiver: Receiver, alerts_fixtures: Path
    ) -> None:
        data = json.loads((alerts_fixtures / "telegram_400_parse_entities.json").read_text())
        receiver.script.append(json_answer(400, data))
        receiver.default = json_answer(200, {"ok": True, "result": {}})
        TelegramChannel("tg", TOKEN, 1, api_url=receiver.url).send(note("x-y"))
        assert len(receiver.requests) == 2
        plain = receiver.requests[1].json()
        assert "parse_mode" not in plain
        assert "x-y" in str(plain["text"])

    def test_unreachable_server_hides_token(self) -> None:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        channel = TelegramChannel("tg", TOKEN, 1, api_url=f"http://127.0.0.1:{port}", timeout=2)
        with pytest.raises(ChannelTransientError) as info:
            channel.send(note())
        assert TOKEN not in str(info.value)
        assert TOKEN not in repr(info.value)


class TestDiscord:
    def test_execute_body_matches_documented_shape(
        self, receiver: Receiver, alerts_fixtures: Path
    ) -> None:
        reference = json.loads((alerts_fixtures / "discord_webhook_execute.json").read_text())
        receiver.default = Answer(204)
        DiscordChannel("dc", f"{receiver.url}/api/webhooks/1/tok").send(note())
        request = receiver.requests[0]
        assert request.query["wait"] == ["true"]
        body = request.json()
        assert set(reference) <= set(body)
        assert body["allowed_mentions"] == {"parse": []}
        embed = body["embeds"][0]  # type: ignore[index]
        assert embed["color"] == reference["embeds"][0]["color"]

    def test_limits(self, receiver: Receiver) -> None:
        receiver.default = Answer(204)
        DiscordChannel("dc", receiver.url).send(
            note("@everyone " + "y" * 9000, rule_name="n" * 400)
        )
        embed = receiver.requests[0].json()["embeds"][0]  # type: ignore[index]
        assert len(embed["title"]) <= 256
        assert len(embed["description"]) <= 4096
        assert len(embed["title"]) + len(embed["description"]) <= 6000

    def test_empty_bucket_defers_the_next_send(self, receiver: Receiver) -> None:
        headers = {"X-RateLimit-Remaining": "0", "X-RateLimit-Reset-After": "2.5"}
        receiver.default = json_answer(200, {"id": "1"}, headers)
        channel = DiscordChannel("dc", receiver.url)
        before = time.time()
        channel.send(note())
        assert before + 2.4 <= channel.ready_at() <= time.time() + 2.6

    @pytest.mark.parametrize(
        ("fixture", "expected"),
        [
            pytest.param("discord_429_user.http", 65.0, id="user"),
            pytest.param("discord_429_shared.http", 1337.0, id="shared"),
            pytest.param("discord_429_global.http", 65.0, id="global"),
        ],
    )
    def test_429_fixtures(
        self, receiver: Receiver, alerts_fixtures: Path, fixture: str, expected: float
    ) -> None:
        receiver.script.append(load_http_fixture(alerts_fixtures / fixture))
        with pytest.raises(ChannelRateLimitedError) as info:
            DiscordChannel("dc", receiver.url).send(note())
        assert info.value.retry_after == expected


class TestWordPress:
    def test_signed_callback_verifies_once(self, receiver: Receiver) -> None:
        channel = WordPressChannel("wp", f"{receiver.url}/", "s3cret")
        channel.send(note())
        request = receiver.requests[0]
        assert request.query["rest_route"] == ["/switchyard/v1/action"]
        verifier = WordPressVerifier("s3cret")
        verifier.verify(request.headers, request.body)
        with pytest.raises(SignatureVerificationError, match="replay"):
            verifier.verify(request.headers, request.body)

    def test_scheme_matches_the_stripe_style_vector(self, alerts_fixtures: Path) -> None:
        # Same construction as Stripe's v1: hex HMAC-SHA256 of "<t>.<payload>", key = the
        # secret's UTF-8 bytes; only the header layout differs.
        v = json.loads((alerts_fixtures / "stripe_signature_vector.json").read_text())
        expected = v["Stripe-Signature"].split("v1=")[1]
        assert sign_wordpress(v["secret"], v["t"], v["payload"]) == f"sha256={expected}"

    def test_signature_is_hmac_of_timestamp_dot_body(self) -> None:
        import hashlib
        import hmac

        expected = hmac.new(b"k", b"1700000000.{}", hashlib.sha256).hexdigest()
        assert sign_wordpress("k", 1700000000, b"{}") == f"sha256={expected}"

    @pytest.mark.parametrize(
        ("offset", "secret", "message"),
        [
            pytest.param(0, "other", "wrong", id="wrong-secret"),
            pytest.param(301, "s3cret", "tolerance", id="stale"),
        ],
    )
    def test_refused(self, offset: int, secret: str, message: str) -> None:
        now = 1_700_000_000
        body = b'{"a":1}'
        headers = {
            "X-Switchyard-Timestamp": str(now),
            "X-Switchyard-Signature": sign_wordpress(secret, now, body),
        }
        verifier = WordPressVerifier("s3cret", clock=lambda: now + offset)
        with pytest.raises(SignatureVerificationError, match=message):
            verifier.verify(headers, body)

    def test_replay_is_refused_across_processes_via_store(self, store: Any) -> None:
        now = 1_700_000_000
        body = b"{}"
        headers = {
            "X-Switchyard-Timestamp": str(now),
            "X-Switchyard-Signature": sign_wordpress("s", now, body),
        }
        WordPressVerifier("s", store=store, clock=lambda: now).verify(headers, body)
        with pytest.raises(SignatureVerificationError, match="replay"):
            WordPressVerifier("s", store=store, clock=lambda: now).verify(headers, body)


@dataclass
class SMTPRecorder:
    messages: list[bytes] = field(default_factory=list)
    reply: str = "250 OK"

    async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:  # noqa: N802
        if self.reply.startswith("250"):
            self.messages.append(envelope.content)
        await asyncio.sleep(0)
        return self.reply


@pytest.fixture
def smtp() -> Iterator[tuple[SMTPRecorder, int]]:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    handler = SMTPRecorder()
    controller = Controller(handler, hostname="127.0.0.1", port=port)
    controller.start()
    yield handler, port
    controller.stop()


class TestEmail:
    def test_sends_plain_text_mail(self, smtp: tuple[SMTPRecorder, int]) -> None:
        handler, port = smtp
        channel = EmailChannel("mail", "127.0.0.1", port, "alerts@example.org", ["ops@example.org"])
        channel.send(note("IBM\ncrossed"))
        message = message_from_bytes(handler.messages[0])
        assert message["Message-ID"] == "<ntf_test@switchyard.alerts>"
        assert "\n" not in message["Subject"]
        assert "IBM" in message["Subject"]
        assert "Rule:" in message.get_payload()

    @pytest.mark.parametrize(
        ("reply", "error"),
        [
            pytest.param("451 try later", ChannelTransientError, id="4xx"),
            pytest.param("554 rejected", ChannelPermanentError, id="5xx"),
        ],
    )
    def test_smtp_codes(
        self, smtp: tuple[SMTPRecorder, int], reply: str, error: type[Exception]
    ) -> None:
        handler, port = smtp
        handler.reply = reply
        with pytest.raises(error):
            EmailChannel("mail", "127.0.0.1", port, "a@x.org", ["b@x.org"]).send(note())


class TestGeneric429:
    @pytest.mark.parametrize(
        "make",
        [
            pytest.param(lambda url: WebhookChannel("w", url, SECRET), id="webhook"),
            pytest.param(lambda url: WordPressChannel("wp", url, "s"), id="wordpress"),
        ],
    )
    def test_retry_after_header(self, receiver: Receiver, make: Any) -> None:
        receiver.script.append(Answer(429, {"Retry-After": "120"}, b"slow down"))
        with pytest.raises(ChannelRateLimitedError) as info:
            make(receiver.url).send(note())
        assert info.value.retry_after == 120

    @pytest.mark.parametrize(
        ("status", "error"),
        [
            pytest.param(503, ChannelTransientError, id="503"),
            pytest.param(408, ChannelTransientError, id="408"),
            pytest.param(401, ChannelPermanentError, id="401"),
            pytest.param(301, ChannelPermanentError, id="redirect"),
        ],
    )
    def test_status_mapping(self, receiver: Receiver, status: int, error: type[Exception]) -> None:
        receiver.script.append(Answer(status, {}, b""))
        with pytest.raises(error):
            WebhookChannel("w", receiver.url, SECRET).send(note())


class TestRetryAfter:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [
            pytest.param("34", 34.0, id="seconds"),
            pytest.param("Wed, 21 Oct 2015 07:28:00 GMT", 10.0, id="http-date"),
            pytest.param("soon", None, id="garbage"),
            pytest.param(None, None, id="absent"),
        ],
    )
    def test_parse(self, value: str | None, expected: float | None) -> None:
        from email.utils import parsedate_to_datetime

        now = parsedate_to_datetime("Wed, 21 Oct 2015 07:27:50 GMT").timestamp()
        assert parse_retry_after(value, now=now) == expected


class Exploding(Channel):
    name = "boom"

    def send(self, notification: Notification) -> None:
        raise RuntimeError("bug")


class TestFanOut:
    def test_one_failing_channel_does_not_stop_the_others(self) -> None:
        a, b = RecordingChannel("a"), RecordingChannel("b")
        b.fail_next(ChannelTransientError("down"))
        c = RecordingChannel("c")
        results = deliver_all([a, Exploding(), b, c], note())
        assert results["a"] is None
        assert results["c"] is None
        assert isinstance(results["boom"], ChannelTransientError)
        assert isinstance(results["b"], ChannelTransientError)
        assert len(a.sent) == len(c.sent) == 1
