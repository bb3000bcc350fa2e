"""Reviews (ARCHITECTURE.md §4): one per order item, by its buyer, after delivery; photos, one reply by the
shop, reports by logged-in users, and an admin's hide (kept, with the reason).

The averages and counts a listing or shop shows are computed from these rows (visible ones only:
``hidden_at IS NULL``), never kept as a counter that Python reads and writes back, so concurrent
reviews and hides cannot lose an update. Race-prone rules are the database's: one review per order
item (unique ``order_item_id``), one report per user and review (unique pair), one reply (a
conditional ``UPDATE … WHERE reply_text IS NULL``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, utcnow

MAX_PHOTOS_PER_REVIEW = 5


class Review(Base):
    __tablename__ = "reviews"
    __table_args__ = (
        CheckConstraint("rating BETWEEN 1 AND 5", name="rating_valid"),
        UniqueConstraint("order_item_id", name="uq_reviews_order_item_id"),
        Index("ix_reviews_listing_id_created_at", "listing_id", "created_at"),
        Index("ix_reviews_shop_id_created_at", "shop_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_item_id: Mapped[int] = mapped_column(ForeignKey("order_items.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    rating: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    reply_text: Mapped[str | None] = mapped_column(Text, default=None)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hidden_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    hidden_reason: Mapped[str | None] = mapped_column(Text, default=None)
    hidden_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)

    buyer: Mapped[User] = relationship(foreign_keys=[buyer_id])
    photos: Mapped[list["ReviewPhoto"]] = relationship(
        back_populates="review", order_by="ReviewPhoto.position", cascade="all, delete-orphan")


class ReviewPhoto(Base):
    __tablename__ = "review_photos"
    __table_args__ = (Index("ix_review_photos_review_id", "review_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)

    review: Mapped[Review] = relationship(back_populates="photos")


class ReviewReport(Base):
    """A logged-in user's report of a review; open (in the moderation queue) while ``resolved_at`` is NULL."""

    __tablename__ = "review_reports"
    __table_args__ = (
        UniqueConstraint("review_id", "reporter_id", name="uq_review_reports_review_id_reporter_id"),
        Index("ix_review_reports_open", "resolved_at", "review_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"))
    reporter_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    reason: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
