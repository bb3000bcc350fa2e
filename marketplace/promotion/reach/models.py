"""Rows of the reach: the share-kit images last drawn for each listing (so they are drawn once per
change of what they show, not once per request)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow


class ShareKit(Base):
    """The share images last made for a listing; ``fingerprint`` is what they were drawn from (revision,
    first photo, title, price, shop name), so a change of any of them makes new ones."""

    __tablename__ = "share_kits"

    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    square_key: Mapped[str] = mapped_column(String(255))
    story_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
