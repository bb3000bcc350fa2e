"""Vouchers: discount codes a shop (for its own items) or the programme (a city's campaign) hands out.

A **voucher** is a code (stored upper-case: codes are compared case-insensitively), who funds it
(``funded_by``: ``shop`` with its ``shop_id``, or ``programme``, optionally limited to a city, a
sentra or a category), a ``kind`` (``percent`` of the eligible items, or a fixed ``amount`` of rupiah),
its limits (minimum eligible subtotal, maximum discount, total uses, uses per buyer), its validity
window and whether an admin or its shop paused it.

``uses_count`` is the number of live (reserved, not released) uses. It is a counter on the row, not a
count of :class:`VoucherUse` rows, for the same reason stock is: checkout takes a use with a
conditional ``UPDATE … SET uses_count = uses_count + 1 WHERE uses_count < max_uses`` that the database
serialises, so two buyers racing for the last use never both get it (``services.reserve``). The
``CHECK`` below says the same, as a last guard.

A **use** is one order's claim on a voucher (one code per order): reserved at checkout in the same
transaction as the order, released when the order is cancelled or expires (the counter goes back down).
What the voucher took off each seller order is on the seller order itself (``discount_idr``, and
``subsidy_idr`` for the part the programme pays), where the ledger and refunds read it.

A buyer's **applied code** waits with their cart (``User.cart_voucher_id``) until checkout uses it.
"""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import BigInteger, Boolean, CheckConstraint, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, one_of, utcnow


class FundedBy(str, enum.Enum):
    SHOP = "shop"
    PROGRAMME = "programme"


class Kind(str, enum.Enum):
    PERCENT = "percent"
    AMOUNT = "amount"


class UseStatus(str, enum.Enum):
    RESERVED = "reserved"
    RELEASED = "released"


class Voucher(Base):
    __tablename__ = "vouchers"
    __table_args__ = (
        CheckConstraint(one_of("funded_by", FundedBy), name="funded_by_valid"),
        CheckConstraint(one_of("kind", Kind), name="kind_valid"),
        CheckConstraint("(funded_by = 'shop') = (shop_id IS NOT NULL)", name="shop_iff_shop_funded"),
        CheckConstraint("value > 0 AND (kind = 'amount' OR value <= 100)", name="value_valid"),
        CheckConstraint("ends_at > starts_at", name="window_valid"),
        CheckConstraint("uses_count >= 0 AND (max_uses IS NULL OR uses_count <= max_uses)", name="uses_valid"),
        Index("ix_vouchers_shop_id", "shop_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    funded_by: Mapped[str] = mapped_column(String(10))
    shop_id: Mapped[int | None] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), default=None)
    city: Mapped[str | None] = mapped_column(String(80), default=None)
    sentra_id: Mapped[int | None] = mapped_column(ForeignKey("sentra.id", ondelete="SET NULL"), default=None)
    category: Mapped[str | None] = mapped_column(String(40), default=None)
    kind: Mapped[str] = mapped_column(String(10))
    value: Mapped[int] = mapped_column(BigInteger)
    min_subtotal_idr: Mapped[int] = mapped_column(BigInteger, default=0)
    max_discount_idr: Mapped[int | None] = mapped_column(BigInteger, default=None)
    max_uses: Mapped[int | None] = mapped_column(Integer, default=None)
    per_buyer: Mapped[int | None] = mapped_column(Integer, default=None)
    uses_count: Mapped[int] = mapped_column(Integer, default=0)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    paused: Mapped[bool] = mapped_column(Boolean, default=False)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"), default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class VoucherUse(Base):
    __tablename__ = "voucher_uses"
    __table_args__ = (
        CheckConstraint(one_of("status", UseStatus), name="status_valid"),
        CheckConstraint("discount_idr >= 0", name="discount_valid"),
        Index("ix_voucher_uses_voucher_id_buyer_id", "voucher_id", "buyer_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    voucher_id: Mapped[int] = mapped_column(ForeignKey("vouchers.id", ondelete="RESTRICT"))
    #: One code per order.
    order_id: Mapped[int] = mapped_column(ForeignKey("orders.id", ondelete="CASCADE"), unique=True)
    buyer_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    status: Mapped[str] = mapped_column(String(10), default=UseStatus.RESERVED.value)
    #: What the voucher took off the order (the sum of its seller orders' ``discount_idr``).
    discount_idr: Mapped[int] = mapped_column(BigInteger)
    funded_by: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

