"""What an artisan tells the programme about themself, apart from the account: a birth year and the crafts
they practise.

Kept in tables of their own rather than on ``users`` so the birth year (personal data, ARCHITECTURE §9:
shown to nobody, used only in aggregates) lives in one place the public code never selects by row: the
figures only ever read it inside a ``count``/``sum``. Deleting the account deletes both rows (cascade).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, SmallInteger, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow

#: The earliest birth year accepted; the latest is the current year.
EARLIEST_BIRTH_YEAR = 1940
#: Gen Z, as the programme counts young artisans (ARCHITECTURE §4).
GEN_Z = (1997, 2012)


class ArtisanProfile(Base):
    __tablename__ = "artisan_profiles"
    __table_args__ = (
        CheckConstraint("birth_year IS NULL OR birth_year >= 1940", name="birth_year_valid"),
    )

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    birth_year: Mapped[int | None] = mapped_column(SmallInteger, default=None)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ArtisanCraft(Base):
    """One craft category (``listings.models.CATEGORIES``) an artisan practises."""

    __tablename__ = "artisan_crafts"

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    category: Mapped[str] = mapped_column(String(40), primary_key=True)
