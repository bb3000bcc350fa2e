"""The event envelope: ``{id, type, version, occurred_at, key, correlation_id, data}``."""

from __future__ import annotations

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
