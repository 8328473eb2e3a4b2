"""The one error shape: mapping exceptions, Retry-After, validation messages."""

from __future__ import annotations

import json

import pytest

from bridge._errors import ErrorMap, ErrorRule, code_for_status, validation_message


class _BaseError(Exception):
    pass


class _ChildError(_BaseError, LookupError):
    pass


class _LimitedError(_BaseError):
    def __init__(self, retry_after: float) -> None:
        super().__init__("slow down")
        self.retry_after = retry_after


def _retry_after(exc: BaseException) -> float | None:
    return exc.retry_after if isinstance(exc, _LimitedError) else None


class TestErrorMap:
    def test_most_specific_class_wins(self) -> None:
        errors = ErrorMap()
        errors.register(_BaseError, ErrorRule(503, "provider_unavailable"))
        errors.register(_ChildError, ErrorRule(404, "unknown_symbol"))
        response = errors.respond(_ChildError("nope"))
        assert response is not None
        assert response.status_code == 404
        assert json.loads(bytes(response.body)) == {
            "error": {"code": "unknown_symbol", "message": "nope"}
        }

    def test_subclass_without_rule_uses_parent(self) -> None:
        errors = ErrorMap()
        errors.register(_BaseError, ErrorRule(503, "provider_unavailable"))
        response = errors.respond(_ChildError("down"))
        assert response is not None
        assert response.status_code == 503

    def test_unmapped_is_none(self) -> None:
        assert ErrorMap().respond(ValueError("x")) is None

    @pytest.mark.parametrize(
        ("seconds", "header"),
        [pytest.param(0.2, "1", id="rounds-up-to-1"), pytest.param(30.5, "31", id="ceil")],
    )
    def test_retry_after_header(self, seconds: float, header: str) -> None:
        errors = ErrorMap()
        errors.register(_LimitedError, ErrorRule(429, "rate_limited", retry_after=_retry_after))
        response = errors.respond(_LimitedError(seconds))
        assert response is not None
        assert response.headers["retry-after"] == header

    def test_custom_message_hides_detail(self) -> None:
        errors = ErrorMap()
        errors.register(
            _BaseError, ErrorRule(503, "provider_unavailable", message=lambda e: "down")
        )
        response = errors.respond(_BaseError("redis://:secret@host"))
        assert response is not None
        assert b"secret" not in bytes(response.body)


class TestMessages:
    def test_validation_message_names_fields_not_values(self) -> None:
        errors = [
            {"loc": ("query", "symbols"), "msg": "Field required", "input": "x"},
            {"loc": ("body", "lines", 2), "msg": "Input should be a valid string", "input": 5},
        ]
        assert validation_message(errors) == (
            "query.symbols: Field required; body.lines[2]: Input should be a valid string"
        )

    @pytest.mark.parametrize(
        ("status", "code"),
        [(401, "unauthorized"), (404, "not_found"), (405, "invalid_request"), (502, "internal")],
    )
    def test_code_for_status(self, status: int, code: str) -> None:
        assert code_for_status(status) == code
