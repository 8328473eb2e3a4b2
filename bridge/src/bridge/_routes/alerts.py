"""``/v1/alerts/...``: rules (CRUD and test), history and outbox."""

import asyncio
import dataclasses
import json
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Body, Query, Request
from fastapi.responses import Response

import alerts
from bridge._deps import ServicesDep
from bridge._errors import ErrorPublic
from bridge._schemas import AlertHistoryPublic, OutboxPublic, RuleTestPublic
from bridge._shared import json_response

router = APIRouter(tags=["alerts"])

RULE_REF = {"$ref": "#/components/schemas/Rule"}
RULES_REF = {
    "type": "object",
    "properties": {"rules": {"type": "array", "items": RULE_REF}},
    "required": ["rules"],
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": ErrorPublic, "description": "No rule with that id (`not_found`)."}
}
_RULE_BODY = {
    "requestBody": {
        "required": True,
        "content": {"application/json": {"schema": RULE_REF}},
        "description": "A rule; `kind` chooses its fields. On create, `id` may be left out.",
    }
}
RuleBody = Annotated[dict[str, Any], Body()]
RuleId = Annotated[str, "rule id"]
MAX_TEST_EVENTS = 1000


def _rule_json(rule: alerts.Rule) -> str:
    return json.dumps(alerts.rule_to_dict(rule), default=str)


@router.get(
    "/v1/alerts/rules",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": RULES_REF}}}},
    summary="List the alert rules",
)
async def list_rules(services: ServicesDep) -> Response:
    """Every rule, in the order they were created."""
    rules = await asyncio.to_thread(services.alerting.repository.list)
    body = json.dumps({"rules": [alerts.rule_to_dict(rule) for rule in rules]}, default=str)
    return json_response(body)


@router.post(
    "/v1/alerts/rules",
    status_code=201,
    response_class=Response,
    responses={
        201: {"content": {"application/json": {"schema": RULE_REF}}},
        409: {"model": ErrorPublic, "description": "A rule with that id exists."},
    },
    openapi_extra=_RULE_BODY,
    summary="Create an alert rule",
)
async def create_rule(rule: RuleBody, services: ServicesDep) -> Response:
    """Validate and store a rule; every worker's engine picks it up within a second."""
    data = dict(rule)
    data.setdefault("id", f"rule-{uuid.uuid4().hex[:12]}")
    parsed = alerts.validate_rule(data)
    services.alerting.check_channels(parsed)
    stored = await asyncio.to_thread(services.alerting.repository.create, parsed)
    return json_response(_rule_json(stored), status_code=201)


@router.get(
    "/v1/alerts/rules/{rule_id}",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": RULE_REF}}}, **_NOT_FOUND},
    summary="One alert rule",
)
async def get_rule(rule_id: str, services: ServicesDep) -> Response:
    """The rule with this id."""
    rule = await asyncio.to_thread(services.alerting.repository.get, rule_id)
    return json_response(_rule_json(rule))


@router.put(
    "/v1/alerts/rules/{rule_id}",
    response_class=Response,
    responses={200: {"content": {"application/json": {"schema": RULE_REF}}}, **_NOT_FOUND},
    openapi_extra=_RULE_BODY,
    summary="Replace an alert rule",
)
async def update_rule(rule_id: str, rule: RuleBody, services: ServicesDep) -> Response:
    """Replace the rule; its id comes from the path (a different ``id`` in the body is a 422)."""
    data = dict(rule)
    if data.setdefault("id", rule_id) != rule_id:
        return json_response(
            json.dumps(
                {"error": {"code": "invalid_request", "message": "body.id: differs from the path"}}
            ),
            status_code=422,
        )
    parsed = alerts.validate_rule(data)
    services.alerting.check_channels(parsed)
    stored = await asyncio.to_thread(services.alerting.repository.update, parsed)
    return json_response(_rule_json(stored))


@router.delete(
    "/v1/alerts/rules/{rule_id}",
    status_code=204,
    response_class=Response,
    responses=_NOT_FOUND,
    summary="Delete an alert rule",
)
async def delete_rule(rule_id: str, services: ServicesDep) -> Response:
    """Delete the rule; notifications already in the outbox are still delivered."""
    await asyncio.to_thread(services.alerting.repository.delete, rule_id)
    return Response(status_code=204)


async def _optional_json(request: Request) -> Any:
    raw = await request.body()
    if not raw.strip():
        return None
    try:
        return json.loads(raw)
    except ValueError as exc:
        raise alerts.RuleValidationError(
            [alerts.ValidationIssue("body", f"not JSON: {exc}")]
        ) from None


@router.post(
    "/v1/alerts/rules/{rule_id}/test",
    response_model=RuleTestPublic,
    responses=_NOT_FOUND,
    openapi_extra={
        "requestBody": {
            "required": False,
            "content": {
                "application/json": {
                    "schema": {
                        "anyOf": [
                            {"type": "object", "description": "One event of the shared stream."},
                            {"type": "array", "items": {"type": "object"}},
                        ]
                    }
                }
            },
            "description": "An event (or a list), e.g. "
            '`{"type": "tick", "symbol": "IBM", "price": "150"}`. '
            "Without a body the rule runs over the recent events of the stream.",
        }
    },
    summary="Evaluate a rule without sending anything",
)
async def test_rule(rule_id: str, request: Request, services: ServicesDep) -> Response:
    """Run the rule on a fake clock over the given events (or recent ones); send nothing."""
    rule = await asyncio.to_thread(services.alerting.repository.get, rule_id)
    payload = await _optional_json(request)
    if payload is None:
        events = await asyncio.to_thread(_recent_events, services)
    else:
        items = payload if isinstance(payload, list) else [payload]
        if len(items) > MAX_TEST_EVENTS:
            raise alerts.RuleValidationError(
                [alerts.ValidationIssue("body", f"at most {MAX_TEST_EVENTS} events")]
            )
        events = []
        for index, item in enumerate(items):
            try:
                events.append(alerts.parse_event(item, f"test-{index}"))
            except ValueError as exc:
                where = f"body[{index}]" if isinstance(payload, list) else "body"
                raise alerts.RuleValidationError(
                    [alerts.ValidationIssue(where, str(exc))]
                ) from None
    notes = services.alerting.test_rule(rule, events)
    body = {
        "rule_id": rule.id,
        "explain": alerts.explain(rule),
        "events": len(events),
        "notifications": notes,
    }
    return json_response(json.dumps(body, default=str))


def _recent_events(services: Any, limit: int = 200) -> list[alerts.Event]:
    entries: list[tuple[str, bytes]] = []
    after: str | None = None
    while True:
        batch = services.store.read("switchyard:events", after, count=1000)
        if not batch:
            break
        entries = (entries + batch)[-limit:]
        after = batch[-1][0]
    events = []
    for entry_id, payload in entries:
        try:
            events.append(alerts.parse_event(payload, entry_id))
        except ValueError:
            continue
    return events


@router.get("/v1/alerts/history", response_model=AlertHistoryPublic, summary="Alert history")
async def history(
    services: ServicesDep,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    rule: Annotated[str | None, Query(max_length=128, description="Only this rule.")] = None,
) -> Response:
    """What the outbox accepted, delivered, retried and dead-lettered, oldest first."""
    entries = await asyncio.to_thread(services.alerting.outbox.history, 1000 if rule else limit)
    if rule is not None:
        entries = [entry for entry in entries if entry.get("rule_id") == rule][-limit:]
    return json_response(json.dumps({"entries": entries}, default=str))


def _entry(entry: alerts.OutboxEntry) -> dict[str, Any]:
    data = dataclasses.asdict(entry)
    data["notification"] = entry.notification.model_dump(mode="json")
    return data


@router.get("/v1/alerts/outbox", response_model=OutboxPublic, summary="Pending and dead deliveries")
async def outbox(services: ServicesDep) -> Response:
    """Deliveries waiting (with attempts and next try) and those dead-lettered (with why)."""
    box = services.alerting.outbox
    pending, dead = await asyncio.gather(
        asyncio.to_thread(box.pending), asyncio.to_thread(box.dead_letters)
    )
    body = {"pending": [_entry(e) for e in pending], "dead": [_entry(e) for e in dead]}
    return json_response(json.dumps(body, default=str))
