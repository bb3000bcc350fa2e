"""Replay at start: ``marketplace run`` queues every sent outbox event again before the relay starts.

The embedded broker keeps topics in memory only, so events sent but not yet consumed when it last
stopped would otherwise never reach their workers. The outbox is the durable log (ARCHITECTURE.md §1)
and the inboxes make a second delivery harmless: consumers skip what they already handled. Against a
durable broker (``KAFKA_BOOTSTRAP_SERVERS`` set) the run does not replay.
"""

from __future__ import annotations


def replay_outbox(database_url: str) -> int:
    """Mark every sent outbox row for re-publishing; return how many were marked."""
    from datetime import datetime, timezone

    from events.outbox import mark_for_replay
    from marketplace.db import Database

    with Database(database_url) as database, database.new_session() as session:
        count = mark_for_replay(session, datetime(1970, 1, 1, tzinfo=timezone.utc))
        session.commit()
    return count
