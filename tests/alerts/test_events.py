"""Parsing the shared stream's JSON payloads into the engine's own event types."""

from __future__ import annotations

import json
from datetime import UTC
from decimal import Decimal

import pytest

from alerts import Anomaly, HealthEvent, LogEvent, Tick, parse_event


class TestParseEvent:
    def test_tick_from_contract(self) -> None:
        raw = (
            b'{"type":"tick","symbol":"IBM","price":"123.45","volume":1200,'
            b'"timestamp":"2026-01-02T15:04:05Z","provider":"finnhub","source":"quote"}'
        )
        event = parse_event(raw, "5-0")
        assert isinstance(event, Tick)
        assert event.price == Decimal("123.45")
        assert event.volume == 1200
        assert event.id == "5-0"
        assert event.timestamp.isoformat() == "2026-01-02T15:04:05+00:00"

    def test_other_types(self) -> None:
        log = parse_event(
            {"type": "log", "source": "wordpress", "level": "WARNING", "message": "m"}
        )
        assert isinstance(log, LogEvent)
        assert log.level == "warning"
        anomaly = parse_event(
            {
                "type": "anomaly",
                "kind": "rate_spike",
                "source": "s",
                "count": 5,
                "baseline": 0.2,
                "samples": ["a"],
            }
        )
        assert isinstance(anomaly, Anomaly)
        assert anomaly.samples == ("a",)
        health = parse_event({"type": "health", "check": "disk_space", "status": "fail"})
        assert isinstance(health, HealthEvent)

    def test_same_payload_same_id(self) -> None:
        payload = {"type": "tick", "symbol": "A", "price": "1", "timestamp": "2026-01-01T00:00:00Z"}
        assert parse_event(payload).id == parse_event(dict(payload)).id

    @pytest.mark.parametrize(
        "raw",
        [
            pytest.param(b"not json", id="not-json"),
            pytest.param(b"[1]", id="not-object"),
            pytest.param(b'{"type":"quote"}', id="unknown-type"),
            pytest.param(b'{"type":"tick","price":"1"}', id="no-symbol"),
            pytest.param(b'{"type":"tick","symbol":"A","price":"abc"}', id="bad-price"),
            pytest.param(b'{"type":"tick","symbol":"A","price":"NaN"}', id="nan"),
        ],
    )
    def test_malformed(self, raw: bytes) -> None:
        with pytest.raises(ValueError, match=r"JSON|unknown event|symbol|number|finite"):
            parse_event(raw)

    def test_round_trip_payload(self) -> None:
        tick = Tick("IBM", Decimal("1.50"), Decimal(3))
        again = parse_event(tick.to_payload())
        assert isinstance(again, Tick)
        assert (again.symbol, again.price, again.volume) == ("IBM", Decimal("1.50"), Decimal(3))


class TestHostileFields:
    """Every malformed field is a ValueError (the runner skips it), never another exception."""

    @pytest.mark.parametrize(
        "payload",
        [
            pytest.param({"price": "1", "timestamp": 1e20}, id="epoch-overflow"),
            pytest.param({"price": "1", "timestamp": [1]}, id="timestamp-list"),
            pytest.param({"price": "1", "timestamp": "yesterday"}, id="timestamp-text"),
            pytest.param({"price": "1e999999999"}, id="huge-price"),
            pytest.param({"price": "-5"}, id="negative-price"),
            pytest.param({"price": "0"}, id="zero-price"),
            pytest.param({"price": True}, id="bool-price"),
            pytest.param({"price": "1", "volume": "-3"}, id="negative-volume"),
            pytest.param({"price": "1", "volume": "1e400"}, id="huge-volume"),
            pytest.param({"price": "1", "symbol": {"a": 1}}, id="symbol-object"),
            pytest.param({"type": "anomaly", "kind": "rate_spike", "count": 1e400}, id="inf"),
            pytest.param({"type": "anomaly", "kind": "rate_spike", "samples": 5}, id="samples"),
            pytest.param({"type": "anomaly", "kind": "x", "baseline": "NaN"}, id="nan-base"),
            pytest.param({"type": "log", "source": "wp", "message": {"a": 1}}, id="msg-object"),
        ],
    )
    def test_rejected_as_value_error(self, payload: dict[str, object]) -> None:
        data = {"type": "tick", "symbol": "IBM", **payload}
        with pytest.raises(ValueError):  # noqa: PT011 - the message varies by field
            parse_event(json.dumps(data).encode(), "1-0")

    @pytest.mark.parametrize(
        ("timestamp", "iso"),
        [
            pytest.param("2026-01-02T15:04:05", "2026-01-02T15:04:05+00:00", id="no-zone-is-utc"),
            pytest.param("2026-01-02T10:04:05-05:00", "2026-01-02T15:04:05+00:00", id="offset"),
            pytest.param(1767366245, "2026-01-02T15:04:05+00:00", id="seconds"),
            pytest.param(1767366245000, "2026-01-02T15:04:05+00:00", id="milliseconds"),
        ],
    )
    def test_timestamps(self, timestamp: object, iso: str) -> None:
        data = {"type": "tick", "symbol": "IBM", "price": " 1.5 ", "timestamp": timestamp}
        event = parse_event(json.dumps(data).encode(), "1-0")
        assert event.timestamp.astimezone(UTC).isoformat() == iso
