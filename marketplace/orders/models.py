"""Orders: one per checkout, one seller order per shop in it, and the items with the price paid.

States (ARCHITECTURE.md §4). Order: ``pending_payment → paid → completed``, ``pending_payment →
cancelled`` (payment failed or expired; stock returned), ``paid → refunded``. Seller order:
``pending_payment`` until the order is paid, then ``awaiting_shipment → shipped → delivered``, or
``cancelled`` (by the artisan before shipping, or with its order). Money is integer rupiah; each
seller order carries its own shipping fee, since each artisan ships their part.
"""

from __future__ import annotations

import enum
import json
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from marketplace.accounts.models import User
from marketplace.db import Base, UTCDateTime, one_of, utcnow
from marketplace.listings.models import options_label
from marketplace.shops.models import Shop

if TYPE_CHECKING:
    from marketplace.payments.models import Payment, Refund


class OrderStatus(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    PAID = "paid"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    REFUNDED = "refunded"


class SellerOrderStatus(str, enum.Enum):
    PENDING_PAYMENT = "pending_payment"
    AWAITING_SHIPMENT = "awaiting_shipment"
    SHIPPED = "shipped"
    DELIVERED = "delivered"
    CANCELLED = "cancelled"


#: What an artisan's order list shows: the parts that were paid for (unpaid ones are not theirs to act on).
VISIBLE_TO_SELLER = tuple(s.value for s in SellerOrderStatus if s is not SellerOrderStatus.PENDING_PAYMENT)


class Order(Base):
    __tablename__ = "orders"
    __table_args__ = (
        CheckConstraint(one_of("status", OrderStatus), name="status_valid"),
        CheckConstraint("total_idr = subtotal_idr + shipping_idr", name="total_adds_up"),
        CheckConstraint("subtotal_idr > 0 AND shipping_idr >= 0", name="amounts_valid"),
        Index("ix_orders_buyer_id_created_at", "buyer_id", "created_at"),
        Index("ix_orders_status_created_at", "status", "created_at"),
        # The impact report's period (``impact.services.counted``): a month's orders without reading all.
        Index("ix_orders_paid_at", "paid_at"),
        CheckConstraint("fulfilment IS NULL OR fulfilment IN ('pickup')", name="fulfilment_valid"),
        Index("ix_orders_programme_event_id", "programme_event_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=OrderStatus.PENDING_PAYMENT.value)
    #: What the buyer pays for the items: their prices less the voucher's discount (``marketplace.vouchers``).
    subtotal_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_idr: Mapped[int] = mapped_column(BigInteger)
    total_idr: Mapped[int] = mapped_column(BigInteger)
    #: What the order's voucher took off (0: none); the items' prices add up to subtotal + discount.
    discount_idr: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    recipient: Mapped[str] = mapped_column(String(120))
    phone: Mapped[str] = mapped_column(String(20))
    line1: Mapped[str] = mapped_column(String(200))
    city: Mapped[str] = mapped_column(String(80))
    province: Mapped[str] = mapped_column(String(60))
    postal_code: Mapped[str] = mapped_column(String(5))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    payment_due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paid_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)
    #: ``pickup`` for a booth sale (rung up by the artisan at an event: no address, no shipping, delivered
    #: when paid; ``marketplace.programme.booth``); NULL for a shipped order. The event it was sold at.
    fulfilment: Mapped[str | None] = mapped_column(String(16), default=None)
    programme_event_id: Mapped[int | None] = mapped_column(
        ForeignKey("programme_events.id", ondelete="SET NULL"), default=None)

    buyer: Mapped[User] = relationship()
    #: The order's payment at the gateway (``marketplace.payments``); None until the worker created it.
    payment: Mapped["Payment | None"] = relationship(
        "Payment", uselist=False, viewonly=True,
        primaryjoin="and_(Order.id == Payment.order_id, Payment.superseded_at.is_(None))")
    #: Refunds asked for on this order (``marketplace.payments``), oldest first.
    refunds: Mapped[list["Refund"]] = relationship("Refund", viewonly=True, order_by="Refund.id")
    seller_orders: Mapped[list["SellerOrder"]] = relationship(
        back_populates="order", order_by="SellerOrder.id", cascade="all, delete-orphan"
    )


#: ``orders.fulfilment`` of a booth sale.
PICKUP = "pickup"


#: How long after delivery the shop still sees the buyer's name, phone and street (§9).
ADDRESS_KEPT_FOR_SHOP = timedelta(days=30)


class SellerOrder(Base):
    __tablename__ = "seller_orders"
    __table_args__ = (
        CheckConstraint(one_of("status", SellerOrderStatus), name="status_valid"),
        CheckConstraint("subtotal_idr > 0 AND shipping_idr >= 0", name="amounts_valid"),
        Index("ix_seller_orders_shop_id_status", "shop_id", "status"),
        Index("ix_seller_orders_order_id", "order_id"),
        # a courier's webhook names its order id; the sandbox's advance names the waybill
        Index("ix_seller_orders_shipment_ref", "shipment_ref"),
        Index("ix_seller_orders_tracking_number", "tracking_number"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"))
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(20), default=SellerOrderStatus.PENDING_PAYMENT.value)
    #: The artisan's sale, on which commission is taken: the items less a *shop* voucher's discount.
    subtotal_idr: Mapped[int] = mapped_column(BigInteger)
    shipping_idr: Mapped[int] = mapped_column(BigInteger)
    #: What the order's voucher took off this part (``marketplace.vouchers``), and of that what the
    #: programme pays (a programme voucher: the buyer pays subtotal + shipping − subsidy, the ledger's
    #: ``programme_subsidy`` the rest; a shop voucher: 0, its discount is already off the subtotal).
    discount_idr: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    subsidy_idr: Mapped[int] = mapped_column(BigInteger, default=0, server_default="0")
    shipping_zone: Mapped[str] = mapped_column(String(20))
    weight_grams: Mapped[int] = mapped_column(Integer)
    processing_days: Mapped[int] = mapped_column(Integer, default=0)
    courier: Mapped[str | None] = mapped_column(String(64), default=None)
    #: The courier service the buyer chose at checkout (``reg`` of ``jne:reg``; issue #25), the
    #: courier's order id once booked (``marketplace.shipping``), and the latest tracking status.
    shipping_service: Mapped[str | None] = mapped_column(String(40), default=None)
    shipment_ref: Mapped[str | None] = mapped_column(String(64), default=None)
    tracking_status: Mapped[str | None] = mapped_column(String(20), default=None)
    tracking_number: Mapped[str | None] = mapped_column(String(64), default=None)
    ship_by: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    shipped_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    delivered_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    cancel_reason: Mapped[str | None] = mapped_column(String(200), default=None)

    order: Mapped[Order] = relationship(back_populates="seller_orders")
    shop: Mapped[Shop] = relationship()
    items: Mapped[list["OrderItem"]] = relationship(
        back_populates="seller_order", order_by="OrderItem.id", cascade="all, delete-orphan"
    )

    def address_visible_to_shop(self, now: datetime | None = None) -> bool:
        """The shop sees the buyer's name, phone and street until ``ADDRESS_KEPT_FOR_SHOP`` after delivery
        (enough to answer a complaint or a return), then only the city (ARCHITECTURE.md §9)."""
        return self.delivered_at is None or (now or utcnow()) < self.delivered_at + ADDRESS_KEPT_FOR_SHOP

    @property
    def buyer_paid_idr(self) -> int:
        """What the buyer paid for this part (what refunding all of it gives back): the programme's
        subsidy was paid by the programme, not the buyer."""
        return self.subtotal_idr + self.shipping_idr - self.subsidy_idr


class OrderItem(Base):
    __tablename__ = "order_items"
    __table_args__ = (
        CheckConstraint("quantity > 0 AND unit_price_idr > 0", name="line_valid"),
        Index("ix_order_items_seller_order_id", "seller_order_id"),
        Index("ix_order_items_listing_id", "listing_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"))
    listing_id: Mapped[int] = mapped_column(ForeignKey("listings.id", ondelete="RESTRICT"))
    title: Mapped[str] = mapped_column(String(140))
    unit_price_idr: Mapped[int] = mapped_column(BigInteger)
    quantity: Mapped[int] = mapped_column(Integer)
    weight_grams: Mapped[int] = mapped_column(Integer)
    #: The variant bought (None: a listing without variants) and its options *as bought*, as JSON text
    #: (a later edit of the listing's variants does not change a past order).
    variant_id: Mapped[int | None] = mapped_column(ForeignKey("listing_variants.id", ondelete="SET NULL"), default=None)
    variant_options: Mapped[str | None] = mapped_column(Text, default=None)

    seller_order: Mapped[SellerOrder] = relationship(back_populates="items")

    @property
    def options(self) -> dict[str, str] | None:
        return json.loads(self.variant_options) if self.variant_options else None

    @property
    def variant_label(self) -> str | None:
        """``"ukuran: M, warna: Merah"``, or None for a listing without variants."""
        return options_label(self.options) or None

    @property
    def line_total_idr(self) -> int:
        return self.unit_price_idr * self.quantity


# ``Order.payment`` names a class of the payments feature: load it wherever orders are, so the mappers
# configure in every process (the relay and workers import only what they use).
from marketplace.payments import models as _payments_models  # noqa: E402,F401
