"""Property-based tests from the served OpenAPI document (schemathesis), bounded in time.

Every operation gets generated requests, valid and invalid; every answer must be no 5xx,
have a documented status and content type, and match its documented schema.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)

from bridge._openapi import render_openapi

if TYPE_CHECKING:
    from tests.bridge.server import RunningBridge

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]


# The document the code renders; test_openapi proves the bridge serves this same document.
schema = schemathesis.openapi.from_dict(json.loads(render_openapi()))


def test_served_document_is_the_one_tested(bridge_tcp: RunningBridge) -> None:
    with bridge_tcp.client() as client:
        assert client.get("/openapi.json").json() == json.loads(render_openapi())


@schema.parametrize()
@settings(
    max_examples=5,
    deadline=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
    derandomize=True,
)
def test_every_operation_keeps_its_contract(
    case: schemathesis.Case[Any], bridge_tcp: RunningBridge
) -> None:
    case.call_and_validate(
        base_url=bridge_tcp.base_url,
        headers={"Authorization": f"Bearer {bridge_tcp.token}"},
        checks=CHECKS,
        timeout=30,
    )
