"""Publishing an event = adding an outbox row in the caller's transaction.

Nothing in a web request talks to Kafka: ``record`` only adds a row to the session; the relay
(``events/relay.py``) publishes committed rows in order. A rolled-back transaction therefore never
publishes its events.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session

from events.models import OutboxEvent
from marketplace.db import utcnow


def topic_for(event_type: str) -> str:
    """``order.paid`` → ``orders``; ``listing.approved`` → ``listings`` (ARCHITECTURE.md §3)."""
    from events.catalogue import topic_for as _topic_for

    return _topic_for(event_type)


def record(
    session: Session,
    event_type: str,
    key: str | int,
    data: dict[str, Any],
    *,
    version: int = 1,
    correlation_id: str | None = None,
) -> OutboxEvent:
    """Validate ``data`` against the event's schema and add the envelope to the outbox (no commit)."""
    from events.envelope import build_envelope

    envelope = build_envelope(event_type, key, data, version=version, correlation_id=correlation_id)
    row = OutboxEvent(
        event_id=envelope["id"],
        type=event_type,
        version=version,
        topic=topic_for(event_type),
        key=str(key),
        payload=json.dumps(envelope, separators=(",", ":"), ensure_ascii=False),
        occurred_at=utcnow(),
    )
    session.add(row)
    return row


def mark_for_replay(session: Session, since: datetime, event_type: str | None = None) -> int:
    """Queue sent events that occurred at or after ``since`` for re-publishing; return how many (no commit).

    Replay goes through the relay (``sent_at`` back to NULL) so re-sent events keep their ids and their
    order; consumers have already seen most of them and skip them by id.
    """
    stmt = update(OutboxEvent).where(OutboxEvent.occurred_at >= since, OutboxEvent.sent_at.is_not(None))
    if event_type:
        topic_for(event_type)  # unknown types are an error, not "0 events"
        stmt = stmt.where(OutboxEvent.type == event_type)
    result = session.execute(stmt.values(sent_at=None), execution_options={"synchronize_session": False})
    return int(result.rowcount or 0)
