"""An artisan's shop, placed in a city and kelurahan (optionally in that kelurahan's sentra)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.sentra.models import Sentra
from marketplace.db import Base, UTCDateTime, utcnow


class Shop(Base):
    __tablename__ = "shops"
    __table_args__ = (
        Index("ix_shops_city_kelurahan", "city", "kelurahan"),
        Index("ix_shops_sentra_id", "sentra_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    slug: Mapped[str] = mapped_column(String(140), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    city: Mapped[str] = mapped_column(String(80))
    kelurahan: Mapped[str] = mapped_column(String(80))
    #: The creative centre an admin assigned the shop to (always one of the shop's kelurahan). The
    #: artisan's own free-text ``sentra`` column is gone (migration 0017): the centre is the admins' record.
    sentra_id: Mapped[int | None] = mapped_column(ForeignKey("sentra.id", ondelete="SET NULL"), default=None)
    #: Set while an admin has suspended the shop: its listings leave the catalogue, its owner may only
    #: fulfil open orders (``marketplace.shops.views``).
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    suspension_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: Where couriers pick parcels up (issue #25): the street, the postal code couriers price by and,
    #: for instant couriers, coordinates. Personal data of the artisan: shown to the couriers only.
    pickup_address: Mapped[str | None] = mapped_column(String(200), default=None)
    pickup_postal_code: Mapped[str | None] = mapped_column(String(5), default=None)
    pickup_latitude: Mapped[float | None] = mapped_column(Float, default=None)
    pickup_longitude: Mapped[float | None] = mapped_column(Float, default=None)

    owner: Mapped[User] = relationship()
    sentra_centre: Mapped[Sentra | None] = relationship()

    @property
    def sentra_name(self) -> str | None:
        """The name of the shop's sentra, as pages and the API show it (``None``: in no sentra)."""
        return self.sentra_centre.name if self.sentra_centre is not None else None

    @property
    def is_suspended(self) -> bool:
        return self.suspended_at is not None
