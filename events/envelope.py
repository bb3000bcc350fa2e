"""The event envelope: ``{id, type, version, occurred_at, key, correlation_id, data}``.

The ``id`` is what consumers dedupe on (``processed_events``), so it is fixed when the event is recorded
and travels unchanged through relay retries and replays.
"""

from __future__ import annotations

import json
import uuid
from typing import Any

from marketplace.db import utcnow


def build_envelope(
    event_type: str, key: str | int, data: dict[str, Any], *, version: int = 1, correlation_id: str | None = None
) -> dict[str, Any]:
    from events.schemas import validate_data

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
    from events.catalogue import InvalidEvent
    from events.schemas import validate_envelope

    if raw is None:
        raise InvalidEvent("empty message (no value)")
    try:
        envelope = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidEvent(f"the message is not UTF-8 JSON: {exc}") from exc
    return validate_envelope(envelope)
