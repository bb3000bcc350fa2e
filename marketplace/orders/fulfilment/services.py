"""Fulfilment: the artisan ships or cancels their part of a paid order, the buyer confirms delivery,
and the scheduler's two jobs (unpaid orders expire; shipped parcels are confirmed after a while).

Every transition locks the order first (``orders.services.lock_order``: events of one order never
interleave), checks the state it starts from (shipping twice, or confirming a parcel that was not
shipped, is a 409 that changes nothing) and records its event in the caller's transaction. An order
is ``completed`` once every one of its seller orders is delivered or cancelled (and one delivered).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.errors import Conflict, NotFound
from marketplace.orders.models import VISIBLE_TO_SELLER, Order, OrderItem, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.orders.services import cancel_paid_part, cancel_unpaid, complete_if_done, lock_order
from marketplace.payments import refunds
from marketplace.shops.models import Shop

AWAITING = SellerOrderStatus.AWAITING_SHIPMENT.value
SHIPPED = SellerOrderStatus.SHIPPED.value
DELIVERED = SellerOrderStatus.DELIVERED.value
CANCELLED = SellerOrderStatus.CANCELLED.value


def _seller_order(session: Session, seller_order_id: int) -> SellerOrder | None:
    return session.get(SellerOrder, seller_order_id)


def _locked_part(session: Session, seller_order_id: int, *, owner: User | None = None,
                 buyer: User | None = None) -> tuple[Order, SellerOrder]:
    """Lock the order of a seller order that ``owner`` (its shop's artisan) or ``buyer`` may act on; 404
    for anyone else, so nobody learns that someone else's order exists."""
    part = _seller_order(session, seller_order_id)
    if part is None:
        raise NotFound("Order not found.")
    order = lock_order(session, part.order_id)
    part = next(so for so in order.seller_orders if so.id == seller_order_id)
    if owner is not None and part.shop.owner_id != owner.id:
        raise NotFound("Order not found.")
    if buyer is not None and order.buyer_id != buyer.id:
        raise NotFound("Order not found.")
    return order, part


def seller_orders(session: Session, artisan: User, status: str | None = None) -> list[SellerOrder]:
    """The artisan's paid seller orders, those to ship first (by the date to ship by), then the rest."""
    stmt = (
        select(SellerOrder)
        .join(Shop, Shop.id == SellerOrder.shop_id)
        .where(Shop.owner_id == artisan.id, SellerOrder.status.in_(VISIBLE_TO_SELLER))
        .options(selectinload(SellerOrder.items), selectinload(SellerOrder.order))
        .order_by(SellerOrder.ship_by.asc(), SellerOrder.id.asc())
    )
    if status:
        stmt = stmt.where(SellerOrder.status == status)
    rows = list(session.scalars(stmt))
    return sorted(rows, key=lambda so: so.status != AWAITING)


def ship(session: Session, artisan: User, seller_order_id: int, *, courier: str, tracking_number: str,
         now: datetime) -> SellerOrder:
    """Hand the parcel to the courier (``order.shipped``); only a paid part not shipped yet."""
    order, part = _locked_part(session, seller_order_id, owner=artisan)
    if part.status != AWAITING:
        raise Conflict("Only an order that awaits shipment can be shipped.", code="not_awaiting_shipment")
    part.status, part.courier, part.tracking_number, part.shipped_at = SHIPPED, courier, tracking_number, now
    session.flush()
    record(session, "order.shipped", key=order.id, data={
        "order_id": order.id, "seller_order_id": part.id, "shop_id": part.shop_id, "courier": courier,
        "tracking_number": tracking_number,
    })
    return part


def cancel_part(session: Session, artisan: User, seller_order_id: int, *, reason: str, now: datetime) -> SellerOrder:
    """The artisan cannot fulfil their part before shipping: it is cancelled, its stock returned,
    ``order.cancelled`` names the part and what the buyer is owed for it (items and shipping), and that
    amount is refunded (a pending refund and ``order.refund_requested``, sent by the payments worker)."""
    order, part = _locked_part(session, seller_order_id, owner=artisan)
    if part.status != AWAITING:
        raise Conflict("Only an order that awaits shipment can be cancelled.", code="not_awaiting_shipment")
    cancel_paid_part(session, order, part, reason, now=now)
    refunds.open_refund(session, order, part, reason=reason, requested_by=artisan.id, now=now)
    return part


def confirm_delivery(session: Session, buyer: User | None, seller_order_id: int, *, now: datetime) -> SellerOrder:
    """The parcel arrived (``order.delivered``); ``buyer=None`` is the scheduler confirming on their behalf."""
    if buyer is None:
        order, part = _locked_part(session, seller_order_id)
    else:
        order, part = _locked_part(session, seller_order_id, buyer=buyer)
    if part.status != SHIPPED:
        raise Conflict("Only a shipped order can be confirmed as delivered.", code="not_shipped")
    part.status, part.delivered_at = DELIVERED, now
    session.flush()
    record(session, "order.delivered", key=order.id, data={
        "order_id": order.id, "seller_order_id": part.id, "shop_id": part.shop_id,
    })
    complete_if_done(session, order, now)
    return part


# --- the scheduler's jobs: each takes one item per transaction, so several copies can run ------------


def due_unpaid_orders(session: Session, now: datetime, limit: int = 100) -> list[int]:
    """Ids of unpaid orders past their payment deadline (locked rows are skipped: another copy has them)."""
    stmt = (
        select(Order.id)
        .where(Order.status == OrderStatus.PENDING_PAYMENT.value, Order.payment_due_at <= now)
        .order_by(Order.payment_due_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def expire_unpaid(session: Session, order_id: int, *, now: datetime) -> bool:
    """Cancel one unpaid order past its deadline (stock returned; the payments worker cancels the
    intent on ``order.cancelled``). False if it was paid or cancelled meanwhile."""
    order = lock_order(session, order_id)
    if order.payment_due_at > now:
        return False
    return cancel_unpaid(session, order_id, "payment expired", now=now, payment_failed=False)


def due_deliveries(session: Session, now: datetime, after: timedelta, limit: int = 100) -> list[int]:
    """Ids of seller orders shipped longer than ``after`` ago and still not confirmed by the buyer."""
    stmt = (
        select(SellerOrder.id)
        .where(SellerOrder.status == SHIPPED, SellerOrder.shipped_at <= now - after)
        .order_by(SellerOrder.shipped_at)
        .limit(limit)
    )
    return list(session.scalars(stmt))


def auto_confirm(session: Session, seller_order_id: int, *, now: datetime, after: timedelta) -> bool:
    """Confirm one parcel on the buyer's behalf once ``after`` has passed since shipping."""
    part = _seller_order(session, seller_order_id)
    if part is None or part.status != SHIPPED or part.shipped_at is None or part.shipped_at > now - after:
        return False
    confirm_delivery(session, None, seller_order_id, now=now)
    return True


def units_sold(session: Session, listing_ids: list[int]) -> dict[int, int]:
    """Units of each listing in paid, not cancelled, seller orders (to ship, shipped or delivered):
    the seller's product table shows it once orders exist. Listings never sold are absent."""
    if not listing_ids:
        return {}
    rows = session.execute(
        select(OrderItem.listing_id, func.sum(OrderItem.quantity))
        .join(SellerOrder, SellerOrder.id == OrderItem.seller_order_id)
        .where(OrderItem.listing_id.in_(listing_ids), SellerOrder.status.in_((AWAITING, SHIPPED, DELIVERED)))
        .group_by(OrderItem.listing_id)
    ).all()
    return {listing_id: int(total) for listing_id, total in rows}
