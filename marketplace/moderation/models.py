"""Every moderation decision, kept for ever (who, when, what, why)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, utcnow


class ModerationDecision(Base):
    __tablename__ = "moderation_decisions"
    __table_args__ = (
        CheckConstraint("decision IN ('approved', 'rejected')", name="decision_valid"),
        Index("ix_moderation_decisions_listing_id", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    moderator_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    decision: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    #: The listing's revision the moderator saw and decided on (NULL only for decisions from before
    #: revisions existed).
    revision: Mapped[int | None] = mapped_column(Integer, default=None)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    moderator: Mapped[User] = relationship()


class ListingReport(Base):
    """A buyer's (or any logged-in user's) report of a public listing, with a reason.

    Once per user and listing (the unique constraint, not a read-then-write check). Open while
    ``resolved_at`` is NULL: open reports put an approved listing in the moderation queue as
    "reported"; dismissing them, or rejecting/withdrawing the listing, resolves them."""

    __tablename__ = "listing_reports"
    __table_args__ = (
        UniqueConstraint("listing_id", "reporter_id", name="uq_listing_reports_listing_id_reporter_id"),
        Index("ix_listing_reports_open", "listing_id", "resolved_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: ``dismissed`` (the admin kept the listing) or ``rejected`` (the listing left the catalogue).
    resolution: Mapped[str | None] = mapped_column(String(16), default=None)
