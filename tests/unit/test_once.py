"""``marketplace.once.record_once``, how the inbox and every webhook remember an id: the first record
writes a row, a second record of the same id returns False and writes nothing, and a race between two
transactions leaves one row and the loser's transaction usable. On SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from sqlalchemy import String, func, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, sessionmaker

from marketplace.db import UTCDateTime, make_engine, transaction
from marketplace.once import record_once

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=timezone.utc)


class _Base(DeclarativeBase):
    pass


class SeenCallback(_Base):
    """Like ``processed_webhooks``: one id."""

    __tablename__ = "once_test_callbacks"

    event_id: Mapped[str] = mapped_column(String(255), primary_key=True)
    kind: Mapped[str] = mapped_column(String(40))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())


class SeenEvent(_Base):
    """Like the inbox, ``processed_events``: an id per consumer."""

    __tablename__ = "once_test_events"

    consumer: Mapped[str] = mapped_column(String(64), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)


@pytest.fixture
def factory(database_url: str) -> Iterator[sessionmaker[Session]]:
    engine = make_engine(database_url, immediate=True)
    _Base.metadata.create_all(engine)
    try:
        yield sessionmaker(bind=engine, expire_on_commit=False)
    finally:
        _Base.metadata.drop_all(engine)
        engine.dispose()


def count(factory: sessionmaker[Session], model: type) -> int:
    with factory() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


def test_a_second_record_of_the_same_id_returns_false_and_writes_nothing(factory):
    with transaction(factory) as session:
        assert record_once(session, SeenCallback, event_id="evt_1", kind="transfer.paid", received_at=NOW)
        assert not record_once(session, SeenCallback, event_id="evt_1", kind="other", received_at=NOW)
    with transaction(factory) as session:  # a redelivery, later
        assert not record_once(session, SeenCallback, event_id="evt_1", kind="again", received_at=NOW)
    with factory() as session:
        [row] = session.scalars(select(SeenCallback)).all()
    assert (row.event_id, row.kind) == ("evt_1", "transfer.paid")


def test_the_key_is_the_whole_primary_key(factory):
    with transaction(factory) as session:
        assert record_once(session, SeenEvent, consumer="payments", event_id="e1")
        assert record_once(session, SeenEvent, consumer="payouts", event_id="e1")  # another consumer's inbox
        assert not record_once(session, SeenEvent, consumer="payments", event_id="e1")
    assert count(factory, SeenEvent) == 2


def test_a_record_rolled_back_with_its_transaction_can_be_made_again(factory):
    session = factory()
    assert record_once(session, SeenCallback, event_id="evt_2", kind="k", received_at=NOW)
    session.rollback()  # the effect failed: the id is not remembered either
    session.close()
    with transaction(factory) as session:
        assert record_once(session, SeenCallback, event_id="evt_2", kind="k", received_at=NOW)
    assert count(factory, SeenCallback) == 1


def test_two_deliveries_racing_record_the_id_once_and_the_loser_can_still_commit(factory, backend):
    if backend == "sqlite":
        pytest.skip("SQLite's writers take turns: the second one finds the row (the first test)")
    first, second = factory(), factory()
    try:
        assert record_once(first, SeenCallback, event_id="evt_3", kind="k", received_at=NOW)
        results: list[bool] = []
        racer = threading.Thread(target=lambda: results.append(
            record_once(second, SeenCallback, event_id="evt_3", kind="k", received_at=NOW)))
        racer.start()  # waits on the first transaction's uncommitted row
        racer.join(0.5)
        assert racer.is_alive()
        first.commit()
        racer.join(10)
        assert results == [False]
        second.commit()  # no failed statement: the loser's transaction is fine
    finally:
        first.close(), second.close()
    assert count(factory, SeenCallback) == 1
