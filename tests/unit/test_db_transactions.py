"""``db.transaction`` and the after-commit / after-rollback hooks, on an in-memory SQLite database.

No app: these are the rules every entry point relies on to own its use case's transaction.
"""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from marketplace.db import after_commit, after_rollback, end_reads, make_engine, make_session_factory, transaction


class _Base(DeclarativeBase):
    pass


class Note(_Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(40))


@pytest.fixture
def factory():
    engine = make_engine("sqlite://")
    _Base.metadata.create_all(engine)
    yield make_session_factory(engine)
    engine.dispose()


def _texts(factory) -> list[str]:
    with factory() as session:
        return list(session.scalars(select(Note.text)))


def test_transaction_commits_on_success_and_runs_only_the_commit_hooks(factory):
    seen: list[str] = []
    with transaction(factory) as session:
        session.add(Note(text="kept"))
        after_commit(session, lambda: seen.append("committed"))
        after_rollback(session, lambda: seen.append("rolled back"))
    assert _texts(factory) == ["kept"] and seen == ["committed"]


def test_transaction_rolls_back_on_any_exception_and_runs_only_the_rollback_hooks(factory):
    seen: list[str] = []
    with pytest.raises(ZeroDivisionError):
        with transaction(factory) as session:
            session.add(Note(text="lost"))
            session.flush()
            after_commit(session, lambda: seen.append("committed"))
            after_rollback(session, lambda: seen.append("rolled back"))
            1 / 0
    assert _texts(factory) == [] and seen == ["rolled back"]


def test_closing_without_commit_counts_as_a_rollback(factory):
    seen: list[str] = []
    session: Session = factory()
    session.add(Note(text="never"))
    session.flush()
    after_rollback(session, lambda: seen.append("rolled back"))
    session.close()
    assert seen == ["rolled back"] and _texts(factory) == []


def test_hooks_belong_to_one_transaction_and_a_savepoint_does_not_fire_them(factory):
    seen: list[str] = []
    with factory() as session:
        after_rollback(session, lambda: seen.append("first"))
        with session.begin_nested():
            session.add(Note(text="inner"))
        session.commit()
        assert seen == []  # committed: the first transaction's rollback hook is dropped
        after_commit(session, lambda: seen.append("second"))
        session.rollback()
        session.add(Note(text="third"))
        session.commit()
    assert seen == [] and _texts(factory) == ["inner", "third"]


def test_end_reads_ends_a_read_only_transaction_and_the_next_statement_starts_afresh(factory):
    with transaction(factory) as session:
        session.add(Note(text="before"))
    with factory() as session:
        note = session.scalars(select(Note)).one()
        assert session.in_transaction()
        end_reads(session)
        assert not session.in_transaction()
        assert note.text == "before"  # expired and reloaded in a new transaction
        assert session.in_transaction()


@pytest.mark.parametrize("write", ["pending", "flushed", "hooked"])
def test_end_reads_refuses_a_transaction_that_wrote(factory, write):
    with factory() as session:
        session.add(Note(text="unsaved"))
        if write == "flushed":
            session.flush()
        elif write == "hooked":
            session.expunge_all()
            after_commit(session, lambda: None)
        with pytest.raises(RuntimeError):
            end_reads(session)
        session.rollback()
        session.scalars(select(Note)).all()
        end_reads(session)  # after the rollback the next transaction starts clean again
