"""Courier bookings and tracking updates applied to seller orders (issue #25).

**Booking** (:func:`book_courier`): the artisan asks the provider to pick up a paid part with the
courier service the buyer chose at checkout. The provider is called *before* the order is locked (no
lock or write transaction is held across an HTTP call) with our own reference,
``seller-order-<id>``, so a retry after a timeout or a 5xx (up to ``BOOK_ATTEMPTS`` tries) gives back
the same booking, never a second one; then, under the order's lock, the part must still await
shipment (a second booking request is a 409 and changes nothing), and it becomes ``shipped`` with the
waybill as its tracking number (``order.shipped``, ``shipment.updated`` confirmed).

**Tracking** (:func:`apply_update`): a verified webhook's update finds its part by the courier's order
id (or the waybill), under the order's lock. Each (part, status) is stored once with the courier's
time, so a redelivered webhook adds nothing; the part's ``tracking_status`` only moves forward
(:func:`~marketplace.shipping.providers.status_rank`), so a late ``picked_up`` after ``in_transit``
is kept in the history and moves nothing. ``shipment.updated`` is recorded when the status moves.
The courier's ``delivered`` confirms delivery as the buyer would (``order.delivered``, which starts the
payout hold) unless the buyer confirmed first; ``returned`` is logged for the admins and shown on
their order search.
"""

from __future__ import annotations

import logging
import time
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.accounts.models import Role, User
from marketplace.errors import Conflict, NotFound, Unavailable
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.orders.models import Order, SellerOrder
from marketplace.shipping.models import ShipmentUpdate
from marketplace.shipping.providers import (
    BookingRequest,
    BookingUnsupported,
    Contact,
    CourierError,
    ShippingProvider,
    TrackingUpdate,
    status_rank,
)
from marketplace.shipping.quotes import origin_of, destination_of
from marketplace.shipping.providers import Parcel, ParcelItem

log = logging.getLogger(__name__)

BOOK_ATTEMPTS = 3
BOOK_WAIT_SECONDS = 0.2


class CourierUnavailable(Unavailable):
    """The courier service did not answer; nothing was booked twice, try again in a moment."""

    code = "courier_unavailable"
    retry_after = 30


def reference(part: SellerOrder) -> str:
    """Our idempotency key at the courier: one booking per seller order, whatever the retries."""
    return f"seller-order-{part.id}"


def _booking_request(part: SellerOrder) -> BookingRequest:
    order, shop = part.order, part.shop
    items = tuple(ParcelItem(i.title, i.unit_price_idr, i.weight_grams, i.quantity) for i in part.items)
    parcel = Parcel(origin=origin_of(shop), destination=destination_of({
        "city": order.city, "province": order.province, "postal_code": order.postal_code}),
        weight_grams=part.weight_grams, value_idr=part.subtotal_idr, items=items)
    return BookingRequest(
        reference=reference(part), courier=part.courier or "", service=part.shipping_service or "", parcel=parcel,
        shipper=Contact(shop.name, shop.owner.phone or "", shop.pickup_address or f"{shop.kelurahan}, {shop.city}"),
        recipient=Contact(order.recipient, order.phone, f"{order.line1}, {order.city}, {order.province}"))


def book_courier(session: Session, artisan: User, seller_order_id: int, provider: ShippingProvider,
                 *, now: datetime, sleep: object = time.sleep) -> SellerOrder:
    """Book the pickup of the artisan's paid part (see the module doc); 409 if not awaiting shipment,
    409 ``booking_unsupported`` without a courier service, 503 ``courier_unavailable`` after the tries."""
    part = session.get(SellerOrder, seller_order_id)
    if part is None or part.shop.owner_id != artisan.id:
        raise NotFound("Order not found.")
    if part.status != fulfilment.AWAITING:
        raise Conflict("Only an order that awaits shipment can be shipped.", code="not_awaiting_shipment")
    if not provider.books or not part.shipping_service:
        raise BookingUnsupported()
    request = _booking_request(part)
    for attempt in range(1, BOOK_ATTEMPTS + 1):
        try:
            booking = provider.book(request)
            break
        except CourierError as exc:
            log.warning("courier booking of seller order %s failed (attempt %s): %s", part.id, attempt, exc)
            if not exc.transient:
                raise BookingUnsupported(str(exc), code="booking_refused") from exc
            if attempt == BOOK_ATTEMPTS:
                raise CourierUnavailable() from exc
            sleep(BOOK_WAIT_SECONDS * attempt)  # type: ignore[operator]
    part = fulfilment.ship(session, artisan, seller_order_id, courier=booking.courier,
                           tracking_number=booking.waybill or booking.provider_ref, now=now)
    part.shipment_ref, part.shipping_service = booking.provider_ref, booking.service
    _store(session, part, TrackingUpdate(status="confirmed", at=now, note="", provider_ref=booking.provider_ref,
                                         waybill=booking.waybill), now)
    return part


def find_part(session: Session, update: TrackingUpdate) -> SellerOrder | None:
    keys = [SellerOrder.shipment_ref == update.provider_ref] if update.provider_ref else []
    if update.waybill:
        keys.append(SellerOrder.tracking_number == update.waybill)
    if not keys:
        return None
    return session.scalars(select(SellerOrder).where(or_(*keys)).order_by(SellerOrder.id).limit(1)).first()


def _store(session: Session, part: SellerOrder, update: TrackingUpdate, now: datetime) -> bool:
    """Keep ``update`` in the history (once per status) and move the part forward; True if it moved."""
    known = session.scalar(select(ShipmentUpdate.id).where(ShipmentUpdate.seller_order_id == part.id,
                                                           ShipmentUpdate.status == update.status))
    if known is None:
        session.add(ShipmentUpdate(seller_order_id=part.id, status=update.status, note=update.note[:300],
                                   occurred_at=update.at, received_at=now))
    if update.waybill and not part.tracking_number:
        part.tracking_number = update.waybill
    if status_rank(update.status) <= status_rank(part.tracking_status):
        session.flush()
        return False
    part.tracking_status = update.status
    session.flush()
    record(session, "shipment.updated", key=part.order_id, data={
        "order_id": part.order_id, "seller_order_id": part.id, "shop_id": part.shop_id, "status": update.status,
        "waybill": part.tracking_number, "occurred_at": update.at.isoformat()})
    return True


def apply_update(session: Session, update: TrackingUpdate, *, now: datetime) -> SellerOrder | None:
    """Apply a verified courier update (see the module doc); None when it names no part of ours."""
    found = find_part(session, update)
    if found is None:
        log.info("courier update for an unknown shipment (%s): ignored", update.provider_ref or update.waybill)
        return None
    order = fulfilment.lock_order(session, found.order_id)
    part = next(so for so in order.seller_orders if so.id == found.id)
    moved = _store(session, part, update, now)
    if moved and update.status == "delivered" and part.status == fulfilment.SHIPPED:
        fulfilment.confirm_delivery(session, None, part.id, now=now)
    if moved and update.status == "returned":
        log.warning("seller order %s (order %s) was returned to the shop by the courier", part.id, order.id)
    return part


def history(session: Session, viewer: User, seller_order_id: int) -> tuple[SellerOrder, list[ShipmentUpdate]]:
    """A part's tracking, for its buyer, its shop's artisan and admins (404 for anyone else)."""
    part = session.get(SellerOrder, seller_order_id)
    allowed = part is not None and (viewer.role == Role.ADMIN.value or part.shop.owner_id == viewer.id
                                    or session.get(Order, part.order_id).buyer_id == viewer.id)  # type: ignore[union-attr]
    if not allowed or part is None:
        raise NotFound("Order not found.")
    rows = list(session.scalars(select(ShipmentUpdate).where(ShipmentUpdate.seller_order_id == part.id)
                                .order_by(ShipmentUpdate.occurred_at, ShipmentUpdate.id)))
    return part, rows


def histories(session: Session, seller_order_ids: list[int]) -> dict[int, list[ShipmentUpdate]]:
    """The tracking history of each of these parts (the orders pages show them), oldest first."""
    out: dict[int, list[ShipmentUpdate]] = {}
    if not seller_order_ids:
        return out
    for row in session.scalars(select(ShipmentUpdate).where(ShipmentUpdate.seller_order_id.in_(seller_order_ids))
                               .order_by(ShipmentUpdate.occurred_at, ShipmentUpdate.id)):
        out.setdefault(row.seller_order_id, []).append(row)
    return out
