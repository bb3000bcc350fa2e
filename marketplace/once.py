""""Record this id once": the one way the inbox and every webhook remember what they have applied.

A consumer's inbox (``processed_events``), the payment webhooks (``processed_webhooks``) and the payout
providers' callbacks (``payout_provider_events``) all keep a row per id they applied, inserted in the
transaction that applies it: "the row exists" is exactly "the effect happened", so a redelivery finds
it and is skipped. :func:`record_once` is that insert, written once: ``INSERT … ON CONFLICT DO NOTHING``
(PostgreSQL and SQLite alike), so a copy that lost the race writes nothing and raises nothing — on
PostgreSQL it waits for the winner's transaction and is skipped if that commits, recorded here if it
rolls back. The caller's transaction stays usable either way (no failed statement, no savepoint).

It is shared plumbing at the package root, beside ``db.py``: ``workers/inbox.py`` and the features'
webhook use cases both use it, and features never import ``workers/``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session


def record_once(session: Session, model: type[Any], **values: Any) -> bool:
    """Insert a row of ``model`` with ``values`` unless a row with its primary key exists; whether it
    was inserted now (False: recorded before, and nothing was written). Not committed: it commits, or
    not, with the caller's transaction. ``values`` name the table's columns and include its key."""
    table: Table = model.__table__
    key = [column.name for column in table.primary_key.columns]
    if session.get(model, tuple(values[name] for name in key)) is not None:  # the usual replay: no write
        return False
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (insert(table).values(**values).on_conflict_do_nothing(index_elements=key)
            .returning(*table.primary_key.columns))
    return session.execute(stmt).first() is not None
