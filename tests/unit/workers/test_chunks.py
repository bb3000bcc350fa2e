"""The runner's database side (``workers.chunks.ChunkApplier``) on a real database, without a broker: a
chunk commits its effects with their inbox rows at once, a failing handler's chunk is rolled back and
the event goes alone, and a handler may neither commit nor roll back, in a chunk or alone."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, select

from events.models import ProcessedEvent
from marketplace.config import Settings
from workers.chunks import Alone, ChunkApplier, Entry, HandlerCommitted
from workers.worker import HandlerContext

CONSUMER = "chunk-test"
EFFECT = "chunk-test-effect"  # a handler's effect: a row we can count, committed with the inbox row or not


def _rows(database: Any, consumer: str) -> set[str]:
    with database.session_factory() as session:
        return set(session.scalars(select(ProcessedEvent.event_id).where(ProcessedEvent.consumer == consumer)))


class Handler:
    """Writes the effect row; raises for the ids in ``failing``; records the ids it ran for."""

    def __init__(self, failing: Collection[str] = ()):
        self.failing = set(failing)
        self.ran: list[str] = []

    def __call__(self, ctx: HandlerContext, envelope: dict[str, Any]) -> None:
        self.ran.append(envelope["id"])
        ctx.session.add(ProcessedEvent(consumer=EFFECT, event_id=envelope["id"]))
        if envelope["id"] in self.failing:
            raise RuntimeError("the channel timed out")


def _applier(database: Any, seen: list[str] | None = None) -> ChunkApplier:
    def context(session: Any, attempt: int) -> HandlerContext:
        return HandlerContext(session=session, settings=Settings(), consumer=CONSUMER, attempt=attempt)

    after = None if seen is None else (lambda envelope: seen.append(envelope["id"]))
    return ChunkApplier(CONSUMER, database.session_factory, context, commit_interval=10.0, max_attempts=3,
                        after_effect=after)


def _pending(handler: Any, count: int) -> list[Entry]:
    return [(SimpleNamespace(offset=i), {"id": str(uuid.uuid4()), "type": "listing.approved"}, handler)
            for i in range(count)]


def test_a_chunk_commits_its_effects_with_their_inbox_rows_and_skips_them_the_second_time(db):
    handler, seen = Handler(), []
    applier = _applier(db, seen)
    pending = _pending(handler, 3)
    ids = [e["id"] for _, e, _ in pending]

    assert applier.apply_chunk(pending) == (3, None)
    assert _rows(db, CONSUMER) == _rows(db, EFFECT) == set(ids) and seen == ids
    assert applier.apply_chunk(pending) == (3, None)  # redelivered: found in the inbox, not run again
    assert handler.ran == ids and seen == ids


def test_a_failing_handler_rolls_its_chunk_back_then_goes_alone_with_its_error(db):
    pending = _pending(None, 3)
    first, failing, last = (e["id"] for _, e, _ in pending)
    handler = Handler(failing={failing})
    pending = [(msg, envelope, handler) for msg, envelope, _ in pending]
    applier = _applier(db)

    assert applier.apply_chunk(pending) == (1, None)  # the one before it, again in a chunk of its own
    assert handler.ran == [first, failing, first] and _rows(db, EFFECT) == {first}
    done, alone = applier.apply_chunk(pending[1:])
    assert done == 0 and isinstance(alone, Alone) and str(alone.failed) == "the channel timed out"
    with pytest.raises(RuntimeError):  # attempt 2, alone: the runner retries it, then dead-letters it
        applier.apply_one(handler, pending[1][1], attempt=2)
    assert applier.apply_chunk(pending[2:]) == (1, None)
    assert _rows(db, CONSUMER) == _rows(db, EFFECT) == {first, last}


def test_an_invalid_event_goes_alone_and_stops_the_chunk_before_it(db):
    handler = Handler()
    pending = _pending(handler, 2)
    invalid: Entry = (SimpleNamespace(offset=9), None, None)
    applier = _applier(db)

    assert applier.apply_chunk([pending[0], invalid, pending[1]]) == (1, None)
    assert applier.apply_chunk([invalid, pending[1]]) == (0, Alone(None))


def test_one_event_alone_is_applied_once(db):
    handler = Handler()
    [(_, envelope, _)] = _pending(handler, 1)
    applier = _applier(db)

    assert applier.apply_one(handler, envelope, attempt=1) is True
    assert applier.apply_one(handler, envelope, attempt=2) is False  # a duplicate: not run again
    assert handler.ran == [envelope["id"]] and _rows(db, EFFECT) == {envelope["id"]}


@pytest.mark.parametrize("misstep", ["commit", "rollback"])
def test_a_handler_that_ends_the_transaction_fails_its_attempt_in_a_chunk_and_alone(db, misstep):
    def ends_it(ctx: HandlerContext, envelope: dict[str, Any]) -> None:
        with ctx.session.begin_nested():  # a savepoint is the handler's own business
            ctx.session.add(ProcessedEvent(consumer=EFFECT, event_id=envelope["id"]))
        getattr(ctx.session, misstep)()

    [entry] = _pending(ends_it, 1)
    applier = _applier(db)

    done, alone = applier.apply_chunk([entry])
    assert done == 0 and isinstance(alone, Alone) and isinstance(alone.failed, HandlerCommitted)
    with pytest.raises(HandlerCommitted):
        applier.apply_one(ends_it, entry[1], attempt=2)
    assert _rows(db, CONSUMER) == set() and _rows(db, EFFECT) == set()
