"""The inbox's bulk claim (one statement per worker chunk): new ids are claimed, applied ones come back
missing, and a rollback gives the claims back."""

from __future__ import annotations

import uuid

from sqlalchemy import func, select

from events.models import ProcessedEvent
from workers import inbox


def _count(session, consumer: str) -> int:
    return int(session.scalar(select(func.count()).select_from(ProcessedEvent)
                              .where(ProcessedEvent.consumer == consumer)) or 0)


def test_claim_batch_claims_only_what_this_consumer_has_not_applied(db_session):
    applied, fresh, other = (str(uuid.uuid4()) for _ in range(3))
    inbox.claim(db_session, "payments", applied)
    inbox.claim(db_session, "promotion", other)  # another consumer's row does not count
    db_session.commit()

    claimed = inbox.claim_batch(db_session, "payments", [applied, fresh, fresh, other])
    assert claimed == {fresh, other}  # the copy of ``fresh`` in the same batch is one claim
    db_session.commit()
    assert _count(db_session, "payments") == 3
    assert inbox.claim_batch(db_session, "payments", [applied, fresh, other]) == set()
    assert inbox.claim_batch(db_session, "payments", []) == set()


def test_a_rolled_back_batch_gives_its_claims_back(db_session):
    ids = [str(uuid.uuid4()) for _ in range(3)]
    assert inbox.claim_batch(db_session, "notifications", ids) == set(ids)
    db_session.rollback()  # a handler failed: the chunk's effects and inbox rows go together
    assert _count(db_session, "notifications") == 0
    assert inbox.claim_batch(db_session, "notifications", ids) == set(ids)
