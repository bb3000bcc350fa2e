"""A signed-in buyer's cart: one row per listing (and variant), with the price the buyer saw when adding it.

A visitor's cart lives in the Flask session (``cart.services.SessionCart``) and is merged into these
rows at login. ``seen_price_idr`` lets the cart tell the buyer that a price changed since they added
the item, before they pay it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Integer, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, utcnow
from marketplace.listings.models import Listing, ListingVariant


NO_VARIANT = 0


class CartItem(Base):
    __tablename__ = "cart_items"
    __table_args__ = (
        # A line is (listing, variant): one row per buyer for each (variant 0: a listing without variants).
        UniqueConstraint("user_id", "listing_id", "variant_id", name="uq_cart_items_user_id_listing_id_variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    #: The variant's id, or :data:`NO_VARIANT` for a listing without variants (not NULL, so the unique
    #: constraint holds for those lines too; no foreign key: a variant is archived, never deleted alone).
    variant_id: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    quantity: Mapped[int] = mapped_column(Integer)
    seen_price_idr: Mapped[int] = mapped_column(BigInteger)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    listing: Mapped[Listing] = relationship()
    variant: Mapped[ListingVariant | None] = relationship(
        primaryjoin="foreign(CartItem.variant_id) == ListingVariant.id", viewonly=True)
