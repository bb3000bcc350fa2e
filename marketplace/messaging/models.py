"""Conversations between a user and a shop, their messages, and the artisan's custom offers (§4 Messaging).

A conversation is about one thing: the shop in general, one listing or one seller order (``subject``,
``shop`` / ``listing:<id>`` / ``order:<id>``), unique per (user, shop, subject), so asking again about
the same thing reuses it. Each side's read marker is the id of the last message it has seen; unread is
what the other side wrote after it. A custom offer is a *private* listing (status ``private``: never in
search, feeds, promotion or sitemaps, which all show ``approved`` only) that only the offer's buyer
may put in the cart, until it expires.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, utcnow
from marketplace.listings.models import Listing
from marketplace.shops.models import Shop

MAX_TEXT = 2000
MAX_PHOTOS = 3
OFFER_DAYS = 7


class OfferStatus(str, enum.Enum):
    OPEN = "open"
    ACCEPTED = "accepted"


class Conversation(Base):
    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("user_id", "shop_id", "subject", name="uq_conversations_user_id_shop_id_subject"),
        Index("ix_conversations_user_id_last_message_at", "user_id", "last_message_at"),
        Index("ix_conversations_shop_id_last_message_at", "shop_id", "last_message_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    subject: Mapped[str] = mapped_column(String(40))
    listing_id: Mapped[int | None] = mapped_column(ForeignKey("listings.id", ondelete="SET NULL"), default=None)
    seller_order_id: Mapped[int | None] = mapped_column(ForeignKey("seller_orders.id", ondelete="SET NULL"),
                                                        default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_message_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    #: The id of the last message each side has seen (0: none).
    user_read_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    shop_read_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    #: When each side was last told of a new message (at most once per 15 minutes while unread).
    user_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    shop_notified_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    blocked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    blocked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: A party's report: from then on an admin may read it (every read is in the audit log).
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    reported_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    report_reason: Mapped[str | None] = mapped_column(Text, default=None)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    shop: Mapped[Shop] = relationship()
    listing: Mapped[Listing | None] = relationship()


class CustomOffer(Base):
    """An artisan's offer to one buyer in a conversation; its private listing carries title, price, stock."""

    __tablename__ = "custom_offers"
    __table_args__ = (
        CheckConstraint("status IN ('open', 'accepted')", name="status_valid"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        Index("ix_custom_offers_conversation_id", "conversation_id"),
        Index("ix_custom_offers_listing_id", "listing_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20), default=OfferStatus.OPEN.value)
    #: As offered (the listing's stock falls to 0 once it is bought).
    quantity: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    listing: Mapped[Listing] = relationship()
    conversation: Mapped[Conversation] = relationship()


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (Index("ix_messages_conversation_id_id", "conversation_id", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id", ondelete="CASCADE"))
    sender_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    text: Mapped[str] = mapped_column(Text, default="")
    #: ``[{"key": …, "thumb_key": …}]``: up to :data:`MAX_PHOTOS` photos through the image pipeline.
    photos: Mapped[list[dict[str, str]]] = mapped_column(JSON, default=list)
    offer_id: Mapped[int | None] = mapped_column(ForeignKey("custom_offers.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    offer: Mapped[CustomOffer | None] = relationship()
