"""A seller order's tracking history: one row per courier status, with the time the courier gave it.

One row per (seller order, status): a courier that sends the same status again (a retried webhook)
adds nothing, so the webhook needs no separate record of its deliveries. The seller order's own
``tracking_status`` is the furthest status reached (``marketplace.shipping.tracking``); rows that
arrive late are still kept, in the order of their times.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from marketplace.db import Base, UTCDateTime, utcnow
from marketplace.shipping.providers import STATUSES


class ShipmentUpdate(Base):
    __tablename__ = "shipment_updates"
    __table_args__ = (
        UniqueConstraint("seller_order_id", "status", name="uq_shipment_updates_seller_order_id_status"),
        CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")", name="status_valid"),
        Index("ix_shipment_updates_seller_order_id_occurred_at", "seller_order_id", "occurred_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    seller_order_id: Mapped[int] = mapped_column(ForeignKey("seller_orders.id", ondelete="CASCADE"))
    status: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(String(300), default="")
    #: When the courier says it happened (the webhook's time), and when we heard of it.
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime())
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
