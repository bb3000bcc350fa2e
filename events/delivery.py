"""Which events has each consumer not received? Answered from our own tables, not from Kafka.

Kafka's view (committed offsets, lag) says nothing once a broker has lost what it held: an in-memory
broker restarted empty reports lag 0 while the events it lost never reach anyone. Our tables do know:
an event was delivered to consumer C exactly when C's inbox has the row ``processed_events(C, event
id)``, written in the same transaction as C's effect (``workers/inbox.py``). So:

    undelivered for C = outbox rows already sent, sent more than ``grace`` seconds ago, of an event type
                        C handles, with no inbox row for (C, event id).

Only the types a consumer has a handler for count: the runner skips the others without an inbox row
(there is no effect to record), so counting them would report events nobody is meant to apply. The
grace period leaves normal processing time (the relay stamps ``sent_at`` before the consumer has had a
chance). An event dead-lettered by C has no inbox row either, and is counted: its effect has not
happened; it also shows in the DLQ counts.

Who reads what (``Subscriptions``: consumer → topic → handled types) comes from the worker declarations
(``workers.subscriptions.subscriptions()``); this module takes it as an argument so that ``events`` does
not depend on ``workers``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, false, func, or_, select, update
from sqlalchemy.orm import Session

from events.models import OutboxEvent, ProcessedEvent
from marketplace.db import utcnow

#: consumer → topic → the event types of that topic the consumer has a handler for
Subscriptions = Mapping[str, Mapping[str, frozenset[str]]]


def _undelivered_to(consumer: str, topics: Mapping[str, frozenset[str]]) -> ColumnElement[bool]:
    """Outbox rows (already sent) that ``consumer`` should have and has no inbox row for."""
    wanted = [and_(OutboxEvent.topic == topic, OutboxEvent.type.in_(sorted(types)))
              for topic, types in sorted(topics.items()) if types]
    if not wanted:
        return false()
    has_inbox_row = exists().where(ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == OutboxEvent.event_id)
    return and_(OutboxEvent.sent_at.is_not(None), or_(*wanted), ~has_inbox_row)


def _sent_before(grace_seconds: float, now: datetime | None) -> ColumnElement[bool]:
    return OutboxEvent.sent_at <= (now or utcnow()) - timedelta(seconds=grace_seconds)


def undelivered(
    session: Session, subscriptions: Subscriptions, grace_seconds: float, *, now: datetime | None = None
) -> list[dict[str, Any]]:
    """Per consumer: how many sent events it has not processed after the grace period, and the oldest."""
    out = []
    for consumer, topics in sorted(subscriptions.items()):
        count, oldest = session.execute(
            select(func.count(OutboxEvent.id), func.min(OutboxEvent.occurred_at))
            .where(_undelivered_to(consumer, topics), _sent_before(grace_seconds, now))
        ).one()
        if oldest is not None and not isinstance(oldest, datetime):  # func.min bypasses the column type on SQLite
            oldest = datetime.fromisoformat(str(oldest))
        out.append({
            "consumer": consumer,
            "topics": sorted(t for t, types in topics.items() if types),
            "undelivered": int(count),
            "oldest_occurred_at": oldest.isoformat() if oldest is not None else None,
        })
    return out


def mark_undelivered_for_replay(
    session: Session,
    subscriptions: Subscriptions,
    *,
    grace_seconds: float = 0.0,
    topics: Iterable[str] | None = None,
    now: datetime | None = None,
) -> int:
    """Queue exactly the undelivered events (of ``topics``, if given) for re-publishing; no commit.

    ``sent_at`` goes back to NULL, so the relay sends them again with their ids and in their order; the
    consumers that did receive them skip them by id.
    """
    only = set(topics) if topics is not None else None
    conditions = [
        _undelivered_to(consumer, {t: types for t, types in wanted.items() if only is None or t in only})
        for consumer, wanted in subscriptions.items()
    ]
    if not conditions:
        return 0
    stmt = update(OutboxEvent).where(or_(*conditions))
    if grace_seconds > 0:
        stmt = stmt.where(_sent_before(grace_seconds, now))
    result = session.execute(stmt.values(sent_at=None), execution_options={"synchronize_session": False})
    if result.rowcount:
        from events.outbox import notify_relay

        notify_relay(session)
    return int(result.rowcount or 0)
