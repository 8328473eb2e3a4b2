"""Explainer against a local server that speaks the chat-completions API."""

from __future__ import annotations

import datetime as dt
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import TYPE_CHECKING, Any, ClassVar

import pytest

from logkit import Anomaly, Explainer, ExplainerDisabledError, ExplainerError, register_secret

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path


class _ChatServer(BaseHTTPRequestHandler):
    requests: ClassVar[list[dict[str, Any]]] = []
    reply: ClassVar[Any] = None
    delay: ClassVar[float] = 0.0
    status: ClassVar[int] = 200

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).requests.append(
            {"path": self.path, "auth": self.headers.get("Authorization"), "body": body}
        )
        time.sleep(type(self).delay)
        payload = json.dumps(type(self).reply).encode()
        self.send_response(type(self).status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args: object) -> None:
        return


def _completion(content: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "local-model",
        "choices": [
            {
                "index": 0,
                "message": {"role": "assistant", "content": content},
                "finish_reason": "stop",
            }
        ],
    }


@pytest.fixture
def server() -> Iterator[str]:
    _ChatServer.requests = []
    _ChatServer.delay = 0.0
    _ChatServer.status = 200
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _ChatServer)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/v1"
    httpd.shutdown()
    httpd.server_close()


ANOMALY = Anomaly(
    kind="error_burst",
    source="wordpress",
    template_id="abc",
    template="Uncaught Error: Call to undefined function <*>",
    count=12,
    baseline=0.4,
    window_seconds=60,
    samples=[
        "PHP Fatal error: boom; GET /q?apikey=LEAKME123 token=tok-XYZ-987 my-registered-secret"
    ],
    level="critical",
    timestamp=dt.datetime(2026, 11, 21, tzinfo=dt.UTC),
)


class TestExplainer:
    def test_off_by_default(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.delenv("LOGKIT_LLM_URL", raising=False)
        explainer = Explainer()
        assert not explainer.enabled
        with pytest.raises(ExplainerDisabledError):
            explainer.explain(ANOMALY)

    def test_asks_and_parses_redacted(self, server: str) -> None:
        register_secret("my-registered-secret")
        answer = {"probable_cause": "A plugin calls a missing function."}
        answer["suggested_action"] = "Deactivate it."
        _ChatServer.reply = _completion("Sure: " + json.dumps(answer))
        explainer = Explainer(url=server, model="m1", api_key="sk-test-key-123456789012")
        result = explainer.explain(ANOMALY)
        assert result.probable_cause == "A plugin calls a missing function."
        assert result.suggested_action == "Deactivate it."
        [request] = _ChatServer.requests
        assert request["path"] == "/v1/chat/completions"
        assert request["auth"] == "Bearer sk-test-key-123456789012"
        assert request["body"]["model"] == "m1"
        sent = json.dumps(request["body"])
        for secret in ("LEAKME123", "tok-XYZ-987", "my-registered-secret"):
            assert secret not in sent
        assert "Uncaught Error" in sent
        assert "sk-test" not in repr(explainer)

    def test_free_text_answer_is_kept(self, server: str) -> None:
        _ChatServer.reply = _completion("Probably the database is down.")
        result = Explainer(url=server).explain(ANOMALY)
        assert result.probable_cause == "Probably the database is down."

    def test_timeout_is_bounded(self, server: str) -> None:
        _ChatServer.delay = 2.0
        _ChatServer.reply = _completion("late")
        start = time.monotonic()
        with pytest.raises(ExplainerError, match="within"):
            Explainer(url=server, timeout=0.2).explain(ANOMALY)
        assert time.monotonic() - start < 1.5  # the answer would have taken 2 s

    @pytest.mark.parametrize(
        ("status", "reply"),
        [
            pytest.param(500, {"error": "x"}, id="http-500"),
            pytest.param(200, {"unexpected": True}, id="not-a-completion"),
            pytest.param(200, _completion(""), id="empty"),
        ],
    )
    def test_bad_answers_raise(self, server: str, status: int, reply: Any) -> None:
        _ChatServer.status = status
        _ChatServer.reply = reply
        with pytest.raises(ExplainerError):
            Explainer(url=server, api_key="sk-abcdefghijklmnopqrstu").explain(ANOMALY)


class TestKeySources:
    def test_key_from_private_secrets_file(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
    ) -> None:
        for var in ("LOGKIT_LLM_API_KEY", "OPENAI_API_KEY"):
            monkeypatch.delenv(var, raising=False)
        secrets = tmp_path / "secrets.toml"
        secrets.write_text('[logkit]\nllm_api_key = "sk-from-file-0123456789"\n')
        secrets.chmod(0o600)
        monkeypatch.setenv("SWITCHYARD_SECRETS_FILE", str(secrets))
        _ChatServer.reply = _completion('{"probable_cause": "x", "suggested_action": "y"}')
        Explainer(url=server).explain(ANOMALY)
        assert _ChatServer.requests[-1]["auth"] == "Bearer sk-from-file-0123456789"

    def test_world_readable_secrets_file_is_ignored(
        self, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, server: str
    ) -> None:
        for var in ("LOGKIT_LLM_API_KEY", "OPENAI_API_KEY"):
            monkeypatch.delenv(var, raising=False)
        secrets = tmp_path / "secrets.toml"
        secrets.write_text('OPENAI_API_KEY = "sk-leaky-0123456789abcdef"\n')
        secrets.chmod(0o644)
        monkeypatch.setenv("SWITCHYARD_SECRETS_FILE", str(secrets))
        _ChatServer.reply = _completion("fine")
        Explainer(url=server).explain(ANOMALY)
        assert _ChatServer.requests[-1]["auth"] is None
