"""Two bridges on one Redis: state shared, each notification delivered once (needs redis-server)."""

from __future__ import annotations

import time
import uuid
from typing import TYPE_CHECKING, Any

import pytest

from tests.bridge.server import run_bridge

if TYPE_CHECKING:
    from pathlib import Path

    from tests.bridge.receiver import WebhookReceiver

pytestmark = pytest.mark.e2e


def test_two_bridges_on_one_redis_deliver_once(
    tmp_path: Path, redis_url: str, bridge_env: dict[str, str], receiver: WebhookReceiver
) -> None:
    env = {**bridge_env, "SWITCHYARD_STATE_URL": redis_url}
    symbol = f"R{uuid.uuid4().hex[:5].upper()}"
    rule: dict[str, Any] = {
        "id": f"redis-{uuid.uuid4().hex[:8]}",
        "kind": "price_above",
        "symbol": symbol,
        "threshold": "0.01",
        "channels": ["hook"],
    }
    with (
        run_bridge(tmp_path / "a", env=env) as first,
        run_bridge(tmp_path / "b", env=env) as second,
    ):
        with first.client() as client:
            assert client.post("/v1/alerts/rules", json=rule).status_code == 201
        with second.client() as client:
            # The rule created through the first bridge is visible through the second.
            assert client.get(f"/v1/alerts/rules/{rule['id']}").status_code == 200
            time.sleep(1.5)
            assert client.get(f"/v1/quotes/{symbol}").status_code == 200
        assert len(receiver.wait_for(rule["id"])) == 1
        time.sleep(2.0)
        assert len(receiver.bodies_for(rule["id"])) == 1
