"""Order use cases: read a buyer's orders, and move an order when its payment succeeds or fails.

Checkout (creating orders) is in :mod:`marketplace.orders.checkout`. Every function here takes the
session and never commits (ARCHITECTURE.md §8). A transition locks the order row first
(``SELECT … FOR UPDATE``) so two transactions never interleave events of one order (§1), and checks
the state it starts from: a late or repeated payment outcome never moves an order backwards, it is
reported as ``False`` and changes nothing.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.db import MAX_ID
from marketplace.errors import NotFound
from marketplace.ledger import services as ledger
from marketplace.listings import variants
from marketplace.listings.models import Listing
from marketplace.orders.models import PICKUP, Order, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.vouchers import services as vouchers

PENDING = OrderStatus.PENDING_PAYMENT.value
#: Working days an artisan gets to hand a ready-to-ship parcel to the courier once the order is paid.
HANDLING_DAYS = 2


def _load(session: Session, order_id: int, *, for_update: bool = False) -> Order | None:
    stmt = (
        select(Order)
        .where(Order.id == order_id)
        .options(selectinload(Order.seller_orders).selectinload(SellerOrder.items))
    )
    if for_update:
        stmt = stmt.with_for_update(of=Order)
    return session.scalar(stmt)


def lock_order(session: Session, order_id: int) -> Order:
    """The order, locked for this transaction (404 if there is none)."""
    order = _load(session, order_id, for_update=True)
    if order is None:
        raise NotFound("Order not found.")
    return order


def get_for_buyer(session: Session, buyer: User, order_id: int) -> Order:
    """The buyer's own order; anyone else's is 404 (we do not say that it exists)."""
    order = _load(session, order_id)
    if order is None or order.buyer_id != buyer.id:
        raise NotFound("Order not found.")
    return order


def list_for_buyer(session: Session, buyer: User) -> list[Order]:
    stmt = (
        select(Order)
        .where(Order.buyer_id == buyer.id)
        .options(selectinload(Order.seller_orders).selectinload(SellerOrder.items))
        .order_by(Order.created_at.desc(), Order.id.desc())
    )
    return list(session.scalars(stmt))


def mark_paid(session: Session, order_id: int, *, now: datetime, commission_bps: int | None = None) -> bool:
    """``pending_payment → paid`` (``order.paid``); each seller order now awaits shipment, with the
    date to ship by, and its sale is in the ledger (buyer payment, commission at ``commission_bps``,
    the artisan's payable: one commit with the status and the event, ARCHITECTURE.md §8). False, and
    nothing changed, if the order is no longer pending."""

    order = lock_order(session, order_id)
    if order.status != PENDING:
        return False
    order.status = OrderStatus.PAID.value
    order.paid_at = now
    for seller_order in order.seller_orders:
        seller_order.status = SellerOrderStatus.AWAITING_SHIPMENT.value
        seller_order.ship_by = now + timedelta(days=seller_order.processing_days + HANDLING_DAYS)
    session.flush()
    ledger.record_order_paid(session, order, now=now,
                             commission_bps=ledger.DEFAULT_COMMISSION_BPS if commission_bps is None else commission_bps)
    record(session, "order.paid", key=order.id, data={
        "order_id": order.id, "buyer_id": order.buyer_id, "total_idr": order.total_idr,
        "seller_order_ids": [so.id for so in order.seller_orders],
    })
    if order.fulfilment == PICKUP:
        _hand_over(session, order, now)
    return True


def _hand_over(session: Session, order: Order, now: datetime) -> None:
    """A booth sale (``fulfilment: pickup``) is in the buyer's hands once paid: each seller order is
    delivered at once (``order.delivered``, which schedules its payout) and the order completed, in
    the payment's transaction."""
    for seller_order in order.seller_orders:
        seller_order.status, seller_order.delivered_at = SellerOrderStatus.DELIVERED.value, now
        seller_order.ship_by = None
    session.flush()
    for seller_order in order.seller_orders:
        record(session, "order.delivered", key=order.id, data={
            "order_id": order.id, "seller_order_id": seller_order.id, "shop_id": seller_order.shop_id})
    complete_if_done(session, order, now)


def cancel_unpaid(session: Session, order_id: int, reason: str, *, now: datetime, payment_failed: bool) -> bool:
    """``pending_payment → cancelled`` with the stock returned (``order.payment_failed`` first when the
    payment was declined, then ``order.cancelled``). False, and nothing changed, if not pending."""
    order = lock_order(session, order_id)
    if order.status != PENDING:
        return False
    order.status = OrderStatus.CANCELLED.value
    order.cancelled_at = now
    order.cancel_reason = reason[:200]
    for seller_order in order.seller_orders:
        seller_order.status = SellerOrderStatus.CANCELLED.value
        seller_order.cancelled_at = now
        seller_order.cancel_reason = order.cancel_reason
        return_stock(session, seller_order)
    vouchers.release_for_order(session, order.id, now=now)
    session.flush()
    if payment_failed:
        record(session, "order.payment_failed", key=order.id, data={"order_id": order.id, "reason": reason[:500]})
    record(session, "order.cancelled", key=order.id, data={"order_id": order.id, "reason": reason[:500]})
    return True


def cancel_paid_part(session: Session, order: Order, part: SellerOrder, reason: str, *, now: datetime) -> None:
    """Cancel one awaiting-shipment seller order of the (locked) paid order: its stock goes back and
    ``order.cancelled`` names the part and what the buyer is owed for it. The refund of that amount is
    the caller's (``marketplace.payments.refunds``): the artisan's cancel and an admin's part refund
    both come through here."""
    part.status = SellerOrderStatus.CANCELLED.value
    part.cancelled_at, part.cancel_reason = now, reason[:200]
    return_stock(session, part)
    session.flush()
    record(session, "order.cancelled", key=order.id, data={
        "order_id": order.id, "seller_order_id": part.id, "shop_id": part.shop_id, "reason": reason[:500],
        "refund_idr": part.buyer_paid_idr,
    })
    complete_if_done(session, order, now)


def complete_if_done(session: Session, order: Order, now: datetime) -> None:
    """``paid → completed`` once every seller order is delivered or cancelled (and one delivered)."""
    done = {SellerOrderStatus.DELIVERED.value, SellerOrderStatus.CANCELLED.value}
    statuses = {so.status for so in order.seller_orders}
    if (order.status == OrderStatus.PAID.value and statuses <= done
            and SellerOrderStatus.DELIVERED.value in statuses):
        order.status = OrderStatus.COMPLETED.value
        session.flush()


def return_stock(session: Session, seller_order: SellerOrder) -> None:
    """Put a cancelled seller order's quantities back on its listings, or on the variants bought (the
    listings of those locked first, lowest id first as a checkout does, then their totals recomputed)."""
    by_variant = [item for item in seller_order.items if item.variant_id is not None]
    variants.lock_listings(session, [item.listing_id for item in by_variant])
    for item in by_variant:
        variants.give_back(session, item.variant_id, item.quantity)
    for listing_id in sorted({item.listing_id for item in by_variant}):
        variants.refresh_totals(session, listing_id)
    for item in seller_order.items:
        if item.variant_id is None and item.variant_options is None:  # (a removed variant's: nowhere to go)
            session.execute(
                update(Listing).where(Listing.id == item.listing_id).values(stock=Listing.stock + item.quantity),
                execution_options={"synchronize_session": False},
            )


def timeline(session: Session, viewer: User, order_id: int) -> list[tuple[str, datetime]]:
    """The order's events, oldest first, for its buyer, the artisans of its shops, and admins (404 for
    anyone else). The outbox is the record: what was decided, in order, with its time."""
    from events.models import OutboxEvent

    order = _load(session, order_id)
    shop_owners = {so.shop.owner_id for so in order.seller_orders} if order is not None else set()
    if order is None or not (viewer.is_admin or viewer.id == order.buyer_id or viewer.id in shop_owners):
        raise NotFound("Order not found.")
    rows = session.execute(
        select(OutboxEvent.type, OutboxEvent.occurred_at)
        .where(OutboxEvent.type.like("order.%") | OutboxEvent.type.like("dispute.%"), OutboxEvent.key == str(order.id))
        .order_by(OutboxEvent.id)
    )
    return [(row.type, row.occurred_at) for row in rows]


def search(session: Session, *, status: str | None = None, q: str | None = None, limit: int = 100) -> list[Order]:
    """Orders for admins, newest first: by status, and by order number (``#123`` is that order only),
    buyer name or e-mail, or recipient."""
    stmt = (
        select(Order)
        .join(User, User.id == Order.buyer_id)
        .options(selectinload(Order.seller_orders).selectinload(SellerOrder.items), selectinload(Order.refunds))
        .order_by(Order.created_at.desc(), Order.id.desc())
        .limit(limit)
    )
    if status:
        stmt = stmt.where(Order.status == status)
    if q:
        text = q.strip()
        if text.startswith("#") and _ascii_digits(text[1:]):  # "#123": that order, nothing else
            number = _order_number(text[1:])
            return [] if number is None else list(session.scalars(stmt.where(Order.id == number)))
        needle = text.lower()  # autoescape: a "%" or "_" typed is that character, not a wildcard
        conditions = [func.lower(column).contains(needle, autoescape=True)
                      for column in (User.name, User.email, Order.recipient)]
        number = _order_number(text)
        if number is not None:
            conditions.append(Order.id == number)
        stmt = stmt.where(or_(*conditions))
    return list(session.scalars(stmt))


def _ascii_digits(text: str) -> bool:
    return text.isascii() and text.isdigit()


def _order_number(text: str) -> int | None:
    """``text`` as an order id, or None: ASCII digits within the id column's range (a longer number is
    a phone or card number typed into the search box, not an order)."""
    if not _ascii_digits(text):
        return None
    number = int(text)
    return number if 1 <= number <= MAX_ID else None
