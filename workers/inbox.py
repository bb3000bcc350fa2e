"""The inbox: ``processed_events(consumer, event_id)``, written in the handler's own transaction.

At-least-once delivery means a consumer sees some events twice (a crash between its DB commit and its
offset commit, a relay re-send, a replay). The inbox row and the handler's effect commit together, so
"the row exists" is exactly "the effect happened": a second delivery finds the row and is skipped. Two
copies racing in two processes both insert; the primary key lets only one commit (:func:`claim` records
the id through ``marketplace.once.record_once``, as the webhooks do).

:func:`claim_batch` claims a whole poll's events in one statement, the bulk form of ``record_once``'s
(``INSERT … ON CONFLICT DO NOTHING RETURNING event_id``, of fixed text so it is prepared once): the ids
it returns are this transaction's to apply, the others were applied before. On PostgreSQL a copy being
claimed by another process's open transaction makes the statement wait for that transaction: skipped
if it commits, claimed here if it rolls back.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from sqlalchemy import bindparam, text
from sqlalchemy.orm import Session

from events.models import ProcessedEvent
from marketplace.db import UTCDateTime, utcnow
from marketplace.once import record_once


class AlreadyProcessed(Exception):
    """This consumer has already applied this event."""


def claim(session: Session, consumer: str, event_id: str) -> None:
    """Insert the inbox row (written now, committed with the effect); ``AlreadyProcessed`` if it exists."""
    if not record_once(session, ProcessedEvent, consumer=consumer, event_id=event_id, processed_at=utcnow()):
        raise AlreadyProcessed(event_id)


def claim_batch(session: Session, consumer: str, event_ids: Iterable[str]) -> set[str]:
    """Insert the inbox rows of ``event_ids`` that do not exist yet (not committed); return those ids.

    The rest were already applied by this consumer: skip them. One statement for the whole batch, of
    fixed text whatever its size (the ids travel as one array or JSON parameter), so it is prepared once.
    """
    ids = list(dict.fromkeys(event_ids))
    if not ids:
        return set()
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        stmt = _CLAIM_PG
        params = {"consumer": consumer, "ids": ids, "now": utcnow()}
    elif dialect == "sqlite":
        stmt = _CLAIM_SQLITE
        params = {"consumer": consumer, "ids": json.dumps(ids), "now": utcnow()}
    else:  # pragma: no cover - PostgreSQL and SQLite are the databases we run on
        return {event_id for event_id in ids
                if record_once(session, ProcessedEvent, consumer=consumer, event_id=event_id, processed_at=utcnow())}
    return set(session.scalars(stmt, params))


_CLAIM_PG = text(
    "INSERT INTO processed_events (consumer, event_id, processed_at)"
    " SELECT :consumer, unnest(CAST(:ids AS varchar[])), :now"
    " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
).bindparams(bindparam("now", type_=UTCDateTime()))
_CLAIM_SQLITE = text(
    "INSERT INTO processed_events (consumer, event_id, processed_at)"
    " SELECT :consumer, value, :now FROM json_each(:ids) WHERE true"
    " ON CONFLICT (consumer, event_id) DO NOTHING RETURNING event_id"
).bindparams(bindparam("now", type_=UTCDateTime()))
