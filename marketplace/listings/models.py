"""Listings (an artisan's products) and their photos."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import JSON, BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.db import Base, UTCDateTime, utcnow
from marketplace.shops.models import Shop


class ListingStatus(str, enum.Enum):
    DRAFT = "draft"
    PENDING_REVIEW = "pending_review"
    APPROVED = "approved"
    REJECTED = "rejected"
    WITHDRAWN = "withdrawn"
    #: A custom offer's listing (``marketplace.messaging``): only its buyer sees and buys it.
    PRIVATE = "private"


CATEGORIES = (
    "batik",
    "tenun",
    "fashion",
    "kriya",
    "keramik",
    "anyaman",
    "aksesoris",
    "dekorasi",
    "kuliner",
    "lukisan",
    "mainan",
    "lainnya",
)

FULFILMENT_KINDS = ("ready_to_ship", "made_to_order")

MAX_IMAGES_PER_LISTING = 8


class Listing(Base):
    __tablename__ = "listings"
    __table_args__ = (
        CheckConstraint(
            "status IN ('draft', 'pending_review', 'approved', 'rejected', 'withdrawn', 'private')", name="status_valid"
        ),
        CheckConstraint("price_idr > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        CheckConstraint("weight_grams > 0", name="weight_positive"),
        CheckConstraint("fulfilment IN ('ready_to_ship', 'made_to_order')", name="fulfilment_valid"),
        CheckConstraint("processing_days >= 0", name="processing_days_not_negative"),
        Index("ix_listings_status_created_at", "status", "created_at"),
        Index("ix_listings_shop_id", "shop_id"),
        Index("ix_listings_status_price_idr", "status", "price_idr"),
        # Covers the catalogue's counts (home page per place and category, search totals): index-only.
        Index("ix_listings_status_shop_id_category", "status", "shop_id", "category"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"))
    title: Mapped[str] = mapped_column(String(140))
    description: Mapped[str] = mapped_column(Text, default="")
    category: Mapped[str] = mapped_column(String(40))
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    weight_grams: Mapped[int] = mapped_column(Integer)
    fulfilment: Mapped[str] = mapped_column(String(20), default="ready_to_ship")
    processing_days: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20), default=ListingStatus.PENDING_REVIEW.value)
    #: Goes up by one with every change of what a buyer sees (``services.REVISED_FIELDS``); a moderator's
    #: decision names the revision it was taken on, so an edit made meanwhile is never approved unseen.
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    rejection_reason: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    #: The listing is sold by variant (:class:`ListingVariant`): then ``stock`` is the sum of the
    #: variants' stock and ``price_idr`` the lowest price of a variant in stock (of any variant when all
    #: are sold out), kept by :func:`marketplace.listings.variants.refresh_totals`, so search, filters and
    #: sorting by price read one column for every listing.
    has_variants: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    #: The variants have different prices: cards say "mulai Rp …" ("from Rp …").
    price_varies: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    shop: Mapped[Shop] = relationship()
    images: Mapped[list["ListingImage"]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingImage.position"
    )
    #: Every variant ever offered, removed ones too (``archived``: carts and orders may still name them).
    variants: Mapped[list["ListingVariant"]] = relationship(
        back_populates="listing", cascade="all, delete-orphan", order_by="ListingVariant.position"
    )

    @property
    def active_variants(self) -> list["ListingVariant"]:
        """The variants on sale (what the listing page and the API show)."""
        return [variant for variant in self.variants if not variant.archived]

    @property
    def option_names(self) -> list[str]:
        """The variants' option names in the artisan's order (``["ukuran", "warna"]``); [] without variants."""
        active = self.active_variants
        return list(active[0].options) if active else []

    def option_values(self) -> list[tuple[str, list[str]]]:
        """Each option name with its values in the order first offered (the listing page's pickers)."""
        values: dict[str, list[str]] = {name: [] for name in self.option_names}
        for variant in self.active_variants:
            for name, chosen in variant.options.items():
                if name in values and chosen not in values[name]:
                    values[name].append(chosen)
        return list(values.items())


class ListingImage(Base):
    """One photo; ``key``/``thumb_key`` are media-storage keys of the re-encoded image and its thumbnail."""

    __tablename__ = "listing_images"
    __table_args__ = (Index("ix_listing_images_listing_id", "listing_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    key: Mapped[str] = mapped_column(String(255))
    thumb_key: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(40))
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    listing: Mapped[Listing] = relationship(back_populates="images")


MAX_OPTION_NAMES = 2


def options_label(options: dict[str, str] | None) -> str:
    """``{"ukuran": "M", "warna": "Merah"}`` → ``"ukuran: M, warna: Merah"`` (orders, mail, statements)."""
    return ", ".join(f"{name}: {value}" for name, value in (options or {}).items())


class ListingVariant(Base):
    """One combination of a listing's options (e.g. ukuran M, warna Merah) with its own price and stock.

    A variant removed by an edit is ``archived``, not deleted: a cart line naming it shows a problem
    and an order item keeps pointing at it (the item also keeps the options as bought).
    """

    __tablename__ = "listing_variants"
    __table_args__ = (
        CheckConstraint("price_idr > 0", name="price_positive"),
        CheckConstraint("stock >= 0", name="stock_not_negative"),
        Index("ix_listing_variants_listing_id", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="CASCADE"))
    #: ``{option name: value}``, at most :data:`MAX_OPTION_NAMES` names, the same names for every variant.
    options: Mapped[dict[str, str]] = mapped_column(JSON)
    price_idr: Mapped[int] = mapped_column(BigInteger)
    stock: Mapped[int] = mapped_column(Integer, default=0)
    sku: Mapped[str | None] = mapped_column(String(64), default=None)
    image_id: Mapped[int | None] = mapped_column(ForeignKey("listing_images.id", ondelete="SET NULL"), default=None)
    position: Mapped[int] = mapped_column(Integer, default=0)
    archived: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    listing: Mapped[Listing] = relationship(back_populates="variants")
    image: Mapped[ListingImage | None] = relationship()

    @property
    def label(self) -> str:
        return options_label(self.options)
