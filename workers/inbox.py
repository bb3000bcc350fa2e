"""The inbox: ``processed_events(consumer, event_id)``, written in the handler's own transaction.

At-least-once delivery means a consumer sees some events twice (a crash between its DB commit and its
offset commit, a relay re-send, a replay). The inbox row and the handler's effect commit together, so
"the row exists" is exactly "the effect happened": a second delivery finds the row and is skipped. Two
copies racing in two processes both insert; the primary key lets only one commit (``IntegrityError``).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from events.models import ProcessedEvent


class AlreadyProcessed(Exception):
    """This consumer has already applied this event."""


def already_processed(session: Session, consumer: str, event_id: str) -> bool:
    stmt = select(ProcessedEvent.event_id).where(
        ProcessedEvent.consumer == consumer, ProcessedEvent.event_id == event_id
    )
    return session.execute(stmt).first() is not None


def claim(session: Session, consumer: str, event_id: str) -> None:
    """Insert the inbox row (flushed now, committed with the effect); ``AlreadyProcessed`` if it exists."""
    if already_processed(session, consumer, event_id):
        raise AlreadyProcessed(event_id)
    try:
        with session.begin_nested():
            session.add(ProcessedEvent(consumer=consumer, event_id=event_id))
    except IntegrityError as exc:
        raise AlreadyProcessed(event_id) from exc
