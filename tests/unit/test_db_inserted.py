"""``db.inserted``: a row written with Core becomes the object a query would have loaded, built
without the model's constructor where that changes nothing (issue #24), with it where it would."""

from __future__ import annotations

import pytest
from sqlalchemy import Integer, String, insert, inspect, select
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column, validates

from marketplace.db import _plainly_built, inserted, make_engine


class _Base(DeclarativeBase):
    pass


class Note(_Base):
    __tablename__ = "notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(40))
    tag: Mapped[str | None] = mapped_column(String(10))


class Shouted(_Base):
    __tablename__ = "shouted"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(String(40))

    @validates("text")
    def _upper(self, _key: str, value: str) -> str:
        return value.upper()


@pytest.fixture
def session():
    engine = make_engine("sqlite://")
    _Base.metadata.create_all(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()


def test_an_inserted_row_is_the_persistent_object_a_query_loads(session):
    assert _plainly_built(Note)
    row_id = session.execute(insert(Note).values(text="batik").returning(Note.id)).scalar_one()
    note = inserted(session, Note, {"id": row_id, "text": "batik"})
    state = inspect(note)
    assert state.persistent and not state.modified and note.tag is None  # a column left out is NULL
    assert session.get(Note, row_id) is note  # in the identity map: no second copy, no reload
    note.text = "tenun"  # a later change is flushed as an UPDATE of that row
    session.flush()
    assert session.execute(select(Note.text).where(Note.id == row_id)).scalar_one() == "tenun"
    with pytest.raises(TypeError, match="colour"):
        inserted(session, Note, {"id": row_id + 1, "text": "x", "colour": "red"})


def test_a_model_with_a_validator_is_still_built_by_its_constructor(session):
    assert not _plainly_built(Shouted)
    shouted = inserted(session, Shouted, {"id": 1, "text": "batik"})
    assert shouted.text == "BATIK" and inspect(shouted).persistent
