"""A sentra (creative centre) of one kelurahan; shops join it through ``shops.sentra_id``.

Admins create and edit sentra. The place is the programme's canonical (city, kelurahan) spelling
(``marketplace.shops.places``), so a shop can only join a sentra of its own kelurahan and the impact
figures group by the same names.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow


class Sentra(Base):
    __tablename__ = "sentra"
    __table_args__ = (
        UniqueConstraint("kelurahan", "name", name="uq_sentra_kelurahan_name"),
        Index("ix_sentra_city_kelurahan", "city", "kelurahan"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    city: Mapped[str] = mapped_column(String(80))
    kelurahan: Mapped[str] = mapped_column(String(80))
    #: What the centre makes: one of ``FOCUSES`` (batik, anyaman, kuliner kemasan…).
    focus: Mapped[str] = mapped_column(String(40))
    story: Mapped[str] = mapped_column(Text, default="")
    #: Storage key of the processed photo (``marketplace.media``); its thumbnail key beside it.
    photo_key: Mapped[str | None] = mapped_column(String(255), default=None)
    photo_thumb_key: Mapped[str | None] = mapped_column(String(255), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
