"""Inputs a reviewer threw at a running bridge: HEAD, compressed bodies, repeated parameters,
stale data and a provider's rate limit — over real HTTP, with the emulators behind it."""

from __future__ import annotations

import gzip
import time
import zlib
from typing import TYPE_CHECKING, Any

import pytest

from marketdata.testing import Fault, ProviderEmulators
from tests.bridge.conftest import BUDGETS, PROVIDER_KEYS
from tests.bridge.server import run_bridge

if TYPE_CHECKING:
    from collections.abc import Iterator
    from pathlib import Path

    from tests.bridge.server import RunningBridge


def _error(body: dict[str, Any]) -> dict[str, Any]:
    assert set(body) == {"error"}
    error: dict[str, Any] = body["error"]
    assert set(error) == {"code", "message"}
    return error


class TestHead:
    def test_head_health_needs_no_token_and_has_no_body(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.head("/v1/health")
        assert response.status_code == 200
        assert response.content == b""
        assert response.headers["content-type"] == "application/json"
        assert response.headers["x-request-id"]

    def test_head_of_a_get_route_answers_like_get(self, bridge: RunningBridge) -> None:
        with bridge.client() as client:
            got = client.get("/v1/alerts/rules")
            head = client.head("/v1/alerts/rules")
        assert head.status_code == got.status_code == 200
        assert head.content == b""
        assert head.headers["content-length"] == got.headers["content-length"]

    def test_head_still_needs_the_token(self, bridge: RunningBridge) -> None:
        with bridge.anonymous() as client:
            response = client.head("/v1/alerts/rules")
        assert response.status_code == 401
        assert response.content == b""


class TestCompressedBodies:
    BATCH = b'{"source": "review-gzip", "lines": ["PHP Notice:  gz in /x.php on line 1"]}'

    @pytest.mark.parametrize(
        ("encoding", "encode"),
        [("gzip", gzip.compress), ("deflate", zlib.compress), ("x-gzip", gzip.compress)],
    )
    def test_logs_accepts_compressed_batches(
        self, bridge: RunningBridge, encoding: str, encode: Any
    ) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": encoding}
        with bridge.client() as client:
            response = client.post("/v1/logs", content=encode(self.BATCH), headers=headers)
        assert response.status_code == 202, response.text
        assert response.json() == {"accepted": 1}

    def test_convert_decodes_gzip(self, bridge_tcp: RunningBridge) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        with bridge_tcp.client() as client:
            response = client.post(
                "/v1/convert/json-to-xml?mapping=readable",
                content=gzip.compress(b'{"r": {"a": 1}}'),
                headers=headers,
            )
        assert response.status_code == 200, response.text
        assert "<a>1</a>" in response.text

    def test_a_gzip_bomb_is_413_on_the_decoded_size(self, bridge_tcp: RunningBridge) -> None:
        # ~2 MiB of JSON, a few KiB compressed: over the 1 MiB limit once decoded.
        bomb = gzip.compress(b'{"source": "x", "lines": ["' + b"a" * 2_000_000 + b'"]}')
        assert len(bomb) < 10_000
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        with bridge_tcp.client() as client:
            response = client.post("/v1/logs", content=bomb, headers=headers)
        assert response.status_code == 413, response.text
        assert _error(response.json())["code"] == "payload_too_large"

    def test_garbage_claiming_gzip_is_422(self, bridge_tcp: RunningBridge) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        with bridge_tcp.client() as client:
            response = client.post("/v1/logs", content=b'{"source": "x"}', headers=headers)
        assert response.status_code == 422, response.text
        assert "Content-Encoding" in _error(response.json())["message"]

    def test_truncated_gzip_is_422(self, bridge_tcp: RunningBridge) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "gzip"}
        with bridge_tcp.client() as client:
            response = client.post(
                "/v1/logs", content=gzip.compress(self.BATCH)[:20], headers=headers
            )
        assert response.status_code == 422, response.text
        assert _error(response.json())["code"] == "invalid_request"

    def test_unknown_encoding_is_415(self, bridge_tcp: RunningBridge) -> None:
        headers = {"Content-Type": "application/json", "Content-Encoding": "br"}
        with bridge_tcp.client() as client:
            response = client.post("/v1/logs", content=self.BATCH, headers=headers)
        assert response.status_code == 415, response.text
        error = _error(response.json())
        assert error["code"] == "invalid_request"
        assert "'br'" in error["message"]


class TestRepeatedParameters:
    def test_symbols_given_twice_counts_both(self, bridge_tcp: RunningBridge) -> None:
        with bridge_tcp.client() as client:
            response = client.get("/v1/quotes?symbols=IBM&symbols=MSFT&symbols=ibm")
        assert response.status_code == 200, response.text
        body = response.json()
        assert sorted(q["symbol"] for q in body["quotes"]) == ["IBM", "MSFT"]
        assert body["errors"] == {}


class TestSecrets:
    def test_token_in_a_log_line_never_comes_back(self, bridge_tcp: RunningBridge) -> None:
        line = f"PHP Warning:  leaked Bearer {bridge_tcp.token} in /w.php on line 9"
        with bridge_tcp.client() as client:
            posted = client.post("/v1/logs", json={"source": "review-secret", "lines": [line]})
            assert posted.status_code == 202
            deadline = time.monotonic() + 20
            report = ""
            while time.monotonic() < deadline:
                report = client.get("/v1/logs/analysis").text
                if "review-secret" in report:
                    break
                time.sleep(0.2)
        assert "review-secret" in report
        assert bridge_tcp.token not in report
        assert bridge_tcp.token not in bridge_tcp.output()

    def test_wrong_token_is_not_echoed(self, bridge_tcp: RunningBridge) -> None:
        offered = "wrong-token-" + "S3CRET" * 5
        with bridge_tcp.client(token=offered) as client:
            response = client.get("/v1/quotes/IBM")
        assert response.status_code == 401
        assert "S3CRET" not in response.text
        assert "S3CRET" not in str(response.headers)


@pytest.fixture(scope="module")
def own_emulators() -> Iterator[ProviderEmulators]:
    """Emulators of this module alone: faults injected here trouble no other test."""
    with ProviderEmulators(websocket=False) as emu:
        yield emu


@pytest.fixture(scope="module")
def short_ttl_bridge(
    tmp_path_factory: pytest.TempPathFactory, own_emulators: ProviderEmulators
) -> Iterator[RunningBridge]:
    """A bridge whose quotes go stale after one second, retrying upstream once."""
    env = {
        **own_emulators.env,
        **PROVIDER_KEYS,
        **BUDGETS,
        "MARKETDATA_TTL_QUOTE": "1",
        "MARKETDATA_TTL_QUOTE_CLOSED": "1",
        "MARKETDATA_RETRIES": "1",
        "MARKETDATA_RETRY_WAIT": "0.01",
        "BRIDGE_STREAM_RULE_SYMBOLS": "0",
    }
    home: Path = tmp_path_factory.mktemp("bridge-short-ttl")
    with run_bridge(home, env=env) as bridge:
        yield bridge


class TestUpstreamTroubleOverHTTP:
    def test_provider_down_with_a_cached_copy_is_200_stale(
        self, short_ttl_bridge: RunningBridge, own_emulators: ProviderEmulators
    ) -> None:
        with short_ttl_bridge.client(timeout=30) as client:
            fresh = client.get("/v1/quotes/STALECO")
            assert fresh.status_code == 200, fresh.text
            assert fresh.json()["stale"] is False
            time.sleep(1.5)  # past the one-second freshness window
            own_emulators.alphavantage.inject(Fault.http(503), times=20)
            own_emulators.finnhub.inject(Fault.http(503), times=20)
            try:
                stale = client.get("/v1/quotes/STALECO")
            finally:
                own_emulators.alphavantage.reset()
                own_emulators.finnhub.reset()
        assert stale.status_code == 200, stale.text
        body = stale.json()
        assert body["stale"] is True
        assert body["symbol"] == "STALECO"
        assert body["price"] == fresh.json()["price"]

    def test_provider_rate_limit_is_429_with_retry_after(
        self, short_ttl_bridge: RunningBridge, own_emulators: ProviderEmulators
    ) -> None:
        own_emulators.alphavantage.inject(Fault.rate_limited(retry_after=30), times=20)
        own_emulators.finnhub.inject(Fault.rate_limited(retry_after=30), times=20)
        try:
            with short_ttl_bridge.client(timeout=30) as client:
                response = client.get("/v1/quotes/LIMITCO")
        finally:
            own_emulators.alphavantage.reset()
            own_emulators.finnhub.reset()
        assert response.status_code == 429, response.text
        assert _error(response.json())["code"] == "rate_limited"
        retry_after = int(response.headers["retry-after"])
        assert 1 <= retry_after <= 120
        assert "av-test-key" not in response.text
        assert "fh-test-key" not in response.text


class TestLogFlood:
    def test_concurrent_batches_are_all_accepted_and_none_is_lost(
        self, bridge_tcp: RunningBridge
    ) -> None:
        from concurrent.futures import ThreadPoolExecutor

        source = "review-flood"
        batches, per_batch = 60, 5

        def post(index: int) -> int:
            lines = [
                f"PHP Warning:  flood {index}-{n} in /f.php on line {n}" for n in range(per_batch)
            ]
            with bridge_tcp.client(timeout=30) as client:
                return client.post("/v1/logs", json={"source": source, "lines": lines}).status_code

        with ThreadPoolExecutor(max_workers=12) as pool:
            statuses = list(pool.map(post, range(batches)))
        assert statuses == [202] * batches
        counted = 0
        deadline = time.monotonic() + 60
        with bridge_tcp.client() as client:
            while time.monotonic() < deadline:
                counted = client.get("/v1/logs/analysis").json()["sources"].get(source, 0)
                if counted >= batches * per_batch:
                    break
                time.sleep(0.25)
        assert counted == batches * per_batch
