"""``marketplace.queue``, the leased delivery queue every delivery loop shares, on a table of its own:
two loops never send the same row, a row whose sender died goes again after its lease, each failed
attempt waits longer, and the last one gives the row up. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import ColumnElement, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from events.backoff import Backoff
from marketplace.db import UTCDateTime, make_engine, transaction
from marketplace.queue import Failed, LeasedQueue, Retry, RetryPolicy, Sent

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)
LEASE = timedelta(minutes=1)


class _Base(DeclarativeBase):
    pass


class Parcel(_Base):
    """A thing owed to the outside world, as the mail, webhook and promotion tables are."""

    __tablename__ = "queue_test_parcels"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)


def parcels(attempts: int = 3) -> LeasedQueue[str, Retry | None]:
    return LeasedQueue(Parcel.next_attempt_at, Parcel.attempts, LEASE, RetryPolicy(attempts, Backoff(10.0, 60.0)))


@dataclass
class Courier:
    """A job that records what it sent; ``answers`` are its sends' results in turn (None: delivered)."""

    queue: LeasedQueue[str, Retry | None]
    answers: list[Retry | None] = field(default_factory=list)
    sent: list[str] = field(default_factory=list)
    only: str | None = None
    lock: threading.Lock = field(default_factory=threading.Lock)

    def where(self, now: datetime) -> list[ColumnElement[bool]]:
        return [Parcel.name.startswith(self.only)] if self.only else []

    def take(self, session: Session, row: Parcel, now: datetime) -> str:
        self.queue.take(row, now)
        return row.name

    def send(self, name: str, now: datetime) -> Retry | None:
        with self.lock:
            self.sent.append(name)
            return self.answers.pop(0) if self.answers else None

    def record(self, session: Session, row: Parcel, name: str, answer: Retry | None, now: datetime) -> bool:
        outcome = self.queue.settle(row, answer or Sent(), now)
        row.status = {Sent: "sent", Retry: "retrying", Failed: "failed"}[type(outcome)]
        return isinstance(outcome, Sent)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url, immediate=True)  # the writer's sessions, as the loops use
    _Base.metadata.create_all(engine)
    try:
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        _Base.metadata.drop_all(engine)
        engine.dispose()


def add(factory: sessionmaker[Session], *names: str, due: datetime = NOW) -> None:
    with transaction(factory) as session:
        session.add_all(Parcel(name=name, next_attempt_at=due) for name in names)


def rows(factory: sessionmaker[Session]) -> dict[str, Parcel]:
    with factory() as session:
        return {row.name: row for row in session.scalars(select(Parcel))}


def claim_and_take(factory: sessionmaker[Session], at: datetime) -> tuple[str, int] | None:
    queue = parcels()
    with transaction(factory) as session:
        claimed = queue.claim(session, at)
        return (claimed[0].name, queue.take(claimed[0], at)) if claimed else None


def test_a_taken_row_is_not_due_again_until_its_lease_ends_then_goes_again(factory):
    add(factory, "a")
    assert claim_and_take(factory, NOW) == ("a", 1)
    assert claim_and_take(factory, NOW + LEASE - timedelta(seconds=1)) is None  # another loop: nothing due
    assert claim_and_take(factory, NOW + LEASE) == ("a", 2)  # the first sender died: it goes again, counted


def test_rows_are_claimed_oldest_due_first_and_only_when_due(factory):
    add(factory, "later", due=NOW + timedelta(minutes=5))
    add(factory, "first", due=NOW - timedelta(minutes=5))
    add(factory, "second")
    assert [claim_and_take(factory, NOW) for _ in range(3)] == [("first", 1), ("second", 1), None]


def test_two_loops_at_once_send_each_row_once(factory):
    names = [f"p{i}" for i in range(12)]
    add(factory, *names)
    courier = Courier(parcels())
    loops = [threading.Thread(target=parcels().work, args=(factory, NOW, courier)) for _ in range(2)]
    for loop in loops:
        loop.start()
    for loop in loops:
        loop.join(30)
    assert sorted(courier.sent) == sorted(names)
    assert {row.status for row in rows(factory).values()} == {"sent"}


def test_on_postgresql_a_row_claimed_in_an_open_transaction_is_skipped_not_waited_for(factory, backend):
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: a second claim waits for the lock instead")
    add(factory, "a", "b")
    queue = parcels()
    with transaction(factory) as first, transaction(factory) as second:
        [mine] = queue.claim(first, NOW)
        theirs = queue.claim(second, NOW)  # not blocked by the first, still open
        assert [row.name for row in theirs] == ["b"] and mine.name == "a"


def test_each_failed_attempt_waits_longer_and_the_last_one_gives_the_row_up(factory):
    add(factory, "a")
    queue = parcels(attempts=3)
    courier = Courier(queue, answers=[Retry("timed out")] * 3)
    at, waits = NOW, []
    for _ in range(3):
        assert queue.work(factory, at, courier) == 0
        row = rows(factory)["a"]
        if row.next_attempt_at is None:
            break
        waits.append((row.next_attempt_at - at).total_seconds())
        at = row.next_attempt_at
    assert waits == [10.0, 20.0]  # the policy's 10 s doubling
    assert (row.status, row.attempts, row.next_attempt_at) == ("failed", 3, None)
    assert queue.work(factory, at + timedelta(days=1), courier) == 0 and courier.sent == ["a"] * 3


def test_a_longer_retry_after_wins_and_a_retry_that_does_not_count_never_gives_up(factory):
    add(factory, "a", "b")
    queue = parcels(attempts=1)
    with transaction(factory) as session:
        a, b = sorted(queue.claim(session, NOW, limit=2), key=lambda row: row.name)
        queue.take(a, NOW), queue.take(b, NOW)
        assert queue.settle(a, Retry("429", after=600.0, counts=False), NOW) == Retry("429", 600.0, counts=False)
        assert queue.settle(b, Retry("503", after=600.0), NOW) == Failed("503", exhausted=True)
    after = rows(factory)
    assert (after["a"].attempts, after["a"].next_attempt_at) == (1, NOW + timedelta(seconds=600))
    assert after["b"].next_attempt_at is None


def test_a_retry_waits_the_longer_of_the_policy_and_the_receivers_retry_after(factory):
    add(factory, "a", "b")
    queue = parcels()
    with transaction(factory) as session:
        a, b = sorted(queue.claim(session, NOW, limit=2), key=lambda row: row.name)
        queue.take(a, NOW), queue.take(b, NOW)
        assert queue.settle(a, Retry("503", after=90.0), NOW) == Retry("503", after=90.0)
        assert queue.settle(b, Retry("503", after=1.0), NOW) == Retry("503", after=10.0)


def test_a_job_chooses_which_rows_it_can_send_and_stop_ends_the_round(factory):
    add(factory, "mail-1", "post-1", "post-2")
    courier = Courier(parcels(), only="post")
    assert parcels().work(factory, NOW, courier) == 2 and sorted(courier.sent) == ["post-1", "post-2"]
    stopped = threading.Event()
    stopped.set()
    everything = Courier(parcels())
    assert parcels().work(factory, NOW, everything, stop=stopped) == 0 and everything.sent == []
    assert rows(factory)["mail-1"].status == "queued"


def test_a_row_the_job_settles_at_claim_time_is_not_sent(factory):
    add(factory, "cancelled", "kept")

    class Skipping(Courier):
        def take(self, session: Session, row: Parcel, now: datetime) -> Any:
            if row.name == "cancelled":
                row.status, row.next_attempt_at = "cancelled", None
                return None
            return super().take(session, row, now)

    courier = Skipping(parcels())
    assert parcels().work(factory, NOW, courier) == 1 and courier.sent == ["kept"]
    assert rows(factory)["cancelled"].status == "cancelled"
