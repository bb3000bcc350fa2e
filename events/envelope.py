"""The event envelope: ``{id, type, version, occurred_at, key, correlation_id, data}``.

The ``id`` is what consumers dedupe on (``processed_events``), so it is fixed when the event is recorded
and travels unchanged through relay retries and replays.
"""

from __future__ import annotations

import json
import uuid
from functools import lru_cache
from typing import Any

from marshmallow import RAISE, Schema, ValidationError, fields, validate

from events.catalogue import InvalidEvent
from events.schemas import validate_data
from marketplace.db import utcnow
from marketplace.fields import StrictInteger


def build_envelope(
    event_type: str, key: str | int, data: dict[str, Any], *, version: int = 1, correlation_id: str | None = None
) -> dict[str, Any]:
    clean = validate_data(event_type, version, data)
    return {
        "id": str(uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": utcnow().isoformat().replace("+00:00", "Z"),
        "key": str(key),
        "correlation_id": correlation_id or str(uuid.uuid4()),
        "data": clean,
    }


def encode(envelope: dict[str, Any]) -> bytes:
    """The wire form: compact UTF-8 JSON (the same text the outbox stores)."""
    return json.dumps(envelope, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def decode(raw: bytes | None) -> dict[str, Any]:
    """Parse and validate a message value; ``InvalidEvent`` for anything a consumer must not handle."""
    if raw is None:
        raise InvalidEvent("empty message (no value)")
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"the message is not UTF-8 JSON: {exc}") from exc
    return validate_envelope(envelope)


class EnvelopeSchema(Schema):
    """The envelope of ARCHITECTURE.md §3; ``data`` is checked by the event's own schema afterwards."""

    class Meta:
        unknown = RAISE

    id = fields.UUID(required=True)
    type = fields.String(required=True, validate=validate.Length(min=1, max=64))
    version = StrictInteger(required=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    key = fields.String(required=True, validate=validate.Length(min=1, max=64))
    correlation_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    data = fields.Dict(required=True)


@lru_cache(maxsize=1)
def _envelope_schema() -> EnvelopeSchema:
    return EnvelopeSchema()


def validate_envelope(envelope: Any) -> dict[str, Any]:
    """Validate a decoded envelope (shape, type, version, data) for a consumer; return it unchanged.

    Raises ``InvalidEvent`` (a ``ValueError``) saying what is wrong, so the runner can park it in the DLQ.
    """
    if not isinstance(envelope, dict):
        raise InvalidEvent("the envelope must be a JSON object", {"_schema": ["not an object"]})
    try:
        _envelope_schema().load(envelope)
    except ValidationError as err:
        raise InvalidEvent(f"invalid envelope: {err.messages}", dict(err.messages)) from err
    validate_data(envelope["type"], envelope["version"], envelope["data"])
    return envelope
