"""Publishing an event = adding an outbox row in the caller's transaction.

Nothing in a web request talks to Kafka: ``record`` only inserts a row in the caller's transaction; the relay
(``events/relay.py``) publishes committed rows in order. A rolled-back transaction therefore never
publishes its events.

**Waking the relay (PostgreSQL).** The first outbox row of a transaction also issues
``SELECT pg_notify('outbox', current_schema())`` in that same transaction (:func:`notify_relay`). PostgreSQL delivers a
notification only when its transaction commits, and never for one that rolls back, so a listening relay
(``events.wakeup``) wakes exactly when there is a committed row to publish, milliseconds after the
commit, instead of at its next poll. It costs no statement of its own when ``record`` writes the row
(it rides on that ``INSERT``'s ``RETURNING``), one when a replay does, once per transaction (PostgreSQL
folds identical notifications anyway); the payload names the
schema written, so relays of other schemas in the same database are not woken, and no migration: a
trigger would do the same from inside the database, but would fire per row. Replays (``sent_at`` back
to NULL) notify too. SQLite has no notification between processes; its relay watches the database's
commit counter instead (``events.wakeup``).
"""

from __future__ import annotations

import json
from datetime import datetime
from functools import cache
from typing import Any

from sqlalchemy import func, insert, text, update
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import ReturningInsert

from events.models import OutboxEvent
from marketplace.db import inserted, utcnow

NOTIFY_CHANNEL = "outbox"  # the channel the relays LISTEN on (events.wakeup)
_NOTIFIED = "pk_outbox_notified"


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
    """Validate ``data`` against the event's schema and add the envelope to the outbox (no commit).

    The row is inserted at once with Core (``INSERT … RETURNING``, in the caller's transaction: a
    rollback still takes it along), not left to the unit of work's flush: a flush of one row was a
    measurable part of a checkout (issue #15). Rows are therefore numbered in the order they are
    recorded. The first row of a transaction on PostgreSQL carries the relay's wake-up with it.
    """
    from events.envelope import build_envelope

    envelope = build_envelope(event_type, key, data, version=version, correlation_id=correlation_id)
    values = {
        "event_id": envelope["id"], "type": event_type, "version": version, "topic": topic_for(event_type),
        "key": str(key), "payload": json.dumps(envelope, separators=(",", ":"), ensure_ascii=False),
        "occurred_at": utcnow(), "attempts": 0,
    }
    conn = session.connection()  # begins the transaction the notification belongs to
    notify = _should_notify(session)
    row_id = conn.execute(_insert_statement(notify), values).scalar_one()
    if notify:
        _notified(session)
    # persistent, as if loaded: a caller's later change to it is flushed as an UPDATE
    return inserted(session, OutboxEvent, {**values, "id": row_id})


@cache
def _insert_statement(notify: bool) -> ReturningInsert[Any]:
    """The outbox ``INSERT … RETURNING`` its id; with ``notify``, the row also carries the
    ``pg_notify`` (:func:`notify_relay`) so the notification costs no round trip of its own."""
    table = OutboxEvent.__table__
    returning: list[Any] = [table.c.id]
    if notify:
        returning.append(func.pg_notify(NOTIFY_CHANNEL, func.current_schema()).label("pk_notify"))
    return insert(table).returning(*returning)


def _should_notify(session: Session) -> bool:
    """Whether the session's current (outermost) transaction has not notified yet, on PostgreSQL. The
    transaction that did is kept in ``session.info`` and compared by identity: the next one differs, so
    nothing has to forget the mark when a transaction ends (no session event to install)."""
    root = session.get_transaction()
    return (root is None or session.info.get(_NOTIFIED) is not root) and session.get_bind().dialect.name == "postgresql"


def _notified(session: Session) -> None:
    if not session.in_nested_transaction():  # a savepoint rolled back would take its notification along
        session.info[_NOTIFIED] = session.get_transaction()


def notify_relay(session: Session) -> None:
    """On PostgreSQL, have this transaction wake the relays when it commits (once per transaction).

    ``pg_notify`` is queued by the transaction and sent at its commit; a rollback discards it. Nothing
    is flushed here, so recording an event still only adds a row to the unit of work.
    """
    if not _should_notify(session):
        return
    session.execute(text("SELECT pg_notify(:channel, current_schema())"), {"channel": NOTIFY_CHANNEL})
    _notified(session)


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
    if result.rowcount:
        notify_relay(session)
    return int(result.rowcount or 0)
