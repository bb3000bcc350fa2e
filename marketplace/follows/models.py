"""Favourites and follows (ARCHITECTURE.md §4): a user's hearted listings and followed shops, and what a
followed shop's newly approved listings left for each follower (shown in-app, then in one daily digest).

Each is one row per pair with the pair as primary key, so a double click or a retried PUT is the same
row, never two. ``follow_updates`` is unique per (follower, listing): a listing approved again after an
edit is not "new" a second time; ``digested_at`` marks what a digest e-mail already carried.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow


class Favourite(Base):
    __tablename__ = "favourites"
    __table_args__ = (Index("ix_favourites_listing_id", "listing_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ShopFollow(Base):
    __tablename__ = "shop_follows"
    __table_args__ = (Index("ix_shop_follows_shop_id", "shop_id"),)

    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class FollowUpdate(Base):
    """A followed shop's newly approved listing, for one follower (in-app, and the next digest)."""

    __tablename__ = "follow_updates"
    __table_args__ = (
        UniqueConstraint("user_id", "listing_id", name="uq_follow_updates_user_id_listing_id"),
        Index("ix_follow_updates_digest", "digested_at", "user_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    digested_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
