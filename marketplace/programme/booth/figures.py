"""Booth sales per programme event: what impact counts as sold *at* each festival or market.

A booth sale counts when it was paid inside the period (``orders.paid_at``, the impact report's rule)
and is still ``paid`` or ``completed`` (a refunded or cancelled one counts as nothing). Per event: the
sales, the units sold, the shops that sold, and the GMV (what the buyers paid: booth sales have no
shipping and no voucher). One grouped statement over ``ix_orders_programme_event_id``'s orders.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import distinct, func, select
from sqlalchemy.orm import Session

from marketplace.orders.models import PICKUP, Order, OrderItem, OrderStatus, SellerOrder
from marketplace.programme.models import ProgrammeEvent

COUNTED = (OrderStatus.PAID.value, OrderStatus.COMPLETED.value)


def by_event(session: Session, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """``[{event_id, title, kind, city, starts_at, sales, units, shops, gmv_idr}]``, events by start."""
    units = (select(SellerOrder.order_id, func.sum(OrderItem.quantity).label("units"))
             .join(OrderItem, OrderItem.seller_order_id == SellerOrder.id)
             .group_by(SellerOrder.order_id).subquery())
    shops = (select(SellerOrder.order_id, SellerOrder.shop_id)).subquery()
    rows = session.execute(
        select(ProgrammeEvent.id, ProgrammeEvent.title, ProgrammeEvent.kind, ProgrammeEvent.city,
               ProgrammeEvent.starts_at, func.count(distinct(Order.id)).label("sales"),
               func.coalesce(func.sum(units.c.units), 0).label("units"),
               func.count(distinct(shops.c.shop_id)).label("shops"),
               func.coalesce(func.sum(Order.total_idr), 0).label("gmv"))
        .join(Order, Order.programme_event_id == ProgrammeEvent.id)
        .join(units, units.c.order_id == Order.id)
        .join(shops, shops.c.order_id == Order.id)
        .where(Order.fulfilment == PICKUP, Order.status.in_(COUNTED), Order.paid_at >= start, Order.paid_at < end)
        .group_by(ProgrammeEvent.id, ProgrammeEvent.title, ProgrammeEvent.kind, ProgrammeEvent.city,
                  ProgrammeEvent.starts_at)
        .order_by(ProgrammeEvent.starts_at, ProgrammeEvent.id))
    return [{"event_id": r.id, "title": r.title, "kind": r.kind, "city": r.city, "starts_at": r.starts_at,
             "sales": int(r.sales), "units": int(r.units), "shops": int(r.shops), "gmv_idr": int(r.gmv)}
            for r in rows]
