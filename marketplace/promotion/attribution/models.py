"""Rows of attribution: visits counted per day and source, and orders credited to a source.

No personal data: a visit is a counter (day, source, medium, campaign), never a row per visitor; an
order's attribution holds only where the buyer came from (no IP, no user agent, the referrer reduced to
its host) — the order itself already says who bought.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow

SOURCE_LENGTH = 40
MEDIUM_LENGTH = 40
CAMPAIGN_LENGTH = 80
HOST_LENGTH = 255


class PromotionVisit(Base):
    """Landings on the storefront from one (source, medium, campaign) on one UTC day. ``""`` stands for
    "none" so the unique key also holds on PostgreSQL (where NULLs never collide)."""

    __tablename__ = "promotion_visits"
    __table_args__ = (
        UniqueConstraint("day", "source", "medium", "campaign", name="uq_promotion_visits_day_source"),
        CheckConstraint("visits >= 0", name="visits_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(Date)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    medium: Mapped[str] = mapped_column(String(MEDIUM_LENGTH), default="")
    campaign: Mapped[str] = mapped_column(String(CAMPAIGN_LENGTH), default="")
    visits: Mapped[int] = mapped_column(Integer, default=0)


class OrderAttribution(Base):
    """The last touch before an order (within the attribution window): one row per attributed order."""

    __tablename__ = "order_attributions"
    __table_args__ = (Index("ix_order_attributions_source_touched_at", "source", "touched_at"),)

    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), primary_key=True)
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH))
    medium: Mapped[str] = mapped_column(String(MEDIUM_LENGTH), default="")
    campaign: Mapped[str] = mapped_column(String(CAMPAIGN_LENGTH), default="")
    referrer_host: Mapped[str | None] = mapped_column(String(HOST_LENGTH), default=None)
    #: The listing the campaign named (``listing-<id>``), if it still exists.
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), default=None)
    touched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
