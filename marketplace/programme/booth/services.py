"""Booth sales: an artisan whose shop takes part in a festival or market rings up a sale during the
event's hours, and the buyer pays it there by QRIS.

:func:`ring_up`, in the request's transaction (ARCHITECTURE.md §4, §8):

1. Who and when: the artisan's shop must be *accepted* at the event (403 ``not_participating``
   otherwise, also for an artisan without a shop or an event that is not a festival or market; an
   unknown event is 404), the event not cancelled (409 ``event_cancelled``) and on now (``starts_at <=
   now < ends_at``, else 422 ``outside_event_hours``).
2. What: each line names one of the shop's own approved listings (a variant of it when it has
   variants); anything else is 422 ``validation_error`` naming the line (``items.<i>``), nothing written.
   Lines of one product are added together.
3. Stock is reserved by the checkout's own code (:func:`marketplace.orders.reservation.reserve_stock`,
   the conditional update at the current price), so a booth sale and an online checkout never both get
   the last unit: the loser's transaction is refused (409 ``out_of_stock``).
4. The order: ``fulfilment: pickup``, the event's id, no address and no shipping fee; its one seller
   order ``pending_payment``; ``order.placed`` as any checkout's. Its buyer of record is the artisan who
   rang it up (the walk-in buyer has no account): so ``GET /api/v1/orders/<id>`` and the sandbox's pay
   call are theirs.
5. The payment: QRIS chosen as a buyer chooses it (:func:`marketplace.payments.attempts.choose_method`,
   ``order.payment_method_chosen``): the payments worker makes the attempt at the gateway and the order
   then shows its QR. When the payment lands, ``orders.services.mark_paid`` pays it as any order
   (ledger) and hands it over (delivered, completed; the payout follows ``order.delivered``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from events.outbox import record
from marketplace.accounts.models import User
from marketplace.cart.services import CartLine
from marketplace.errors import Conflict, Forbidden, NotFound, ValidationFailed
from marketplace.listings.models import Listing, ListingStatus, ListingVariant
from marketplace.orders.checkout import placed_event
from marketplace.orders.models import PICKUP, Order, OrderItem, OrderStatus, SellerOrder, SellerOrderStatus
from marketplace.orders.reservation import reserve_stock
from marketplace.payments import attempts
from marketplace.payments.gateways import PaymentGateway
from marketplace.programme import aggregate
from marketplace.programme.models import SHOP_KINDS, EventShop, ParticipationStatus, ProgrammeEvent
from marketplace.shipping.provinces import CITY_PROVINCE
from marketplace.shops.models import Shop

#: The one payment method of a booth sale.
METHOD = "qris"
#: What a seller order of a booth sale says for its shipping zone (it has none).
PICKUP_ZONE = "pickup"
MAX_LINES = 50
MAX_QUANTITY = 100


class NotParticipating(Forbidden):
    """The artisan's shop is not an accepted participant of this event."""

    code = "not_participating"


class OutsideEventHours(ValidationFailed):
    """A booth sale is rung up only while the event is on."""

    code = "outside_event_hours"


@dataclass(frozen=True)
class Wanted:
    listing_id: int
    variant_id: int | None
    quantity: int


def booth_shop(session: Session, artisan: User, event_id: int) -> tuple[ProgrammeEvent, Shop]:
    """The event (404 if none) and the artisan's shop, which must be accepted at it (403 otherwise)."""
    event = aggregate.get_event(session, event_id)
    shop = session.scalar(select(Shop).where(Shop.owner_id == artisan.id))
    accepted = shop is not None and event.kind in SHOP_KINDS and session.scalar(
        select(EventShop.id).where(EventShop.event_id == event.id, EventShop.shop_id == shop.id,
                                   EventShop.status == ParticipationStatus.ACCEPTED.value)) is not None
    if not accepted or shop is None or shop.suspended_at is not None:
        raise NotParticipating("Your shop does not take part in this event.")
    return event, shop


def check_open(event: ProgrammeEvent, now: datetime) -> None:
    """409 for a cancelled event, 422 ``outside_event_hours`` before it starts or after it ends."""
    if event.status == aggregate.CANCELLED:
        raise aggregate.EventCancelled("This event is cancelled.")
    if not event.starts_at <= now < event.ends_at:
        raise OutsideEventHours("Booth sales can be rung up only during the event's hours.",
                                fields={"event_id": ["The event is not on now."]})


def sellable(session: Session, shop: Shop) -> list[Listing]:
    """The shop's approved listings with their variants (what the phone page offers), by title."""
    return list(session.scalars(
        select(Listing).where(Listing.shop_id == shop.id, Listing.status == ListingStatus.APPROVED.value)
        .options(selectinload(Listing.variants)).order_by(Listing.title, Listing.id)))


def _lines(session: Session, shop: Shop, wanted: list[Wanted]) -> list[CartLine]:
    """The wanted lines as checkout lines at today's prices; 422 naming each line that is not one of
    the shop's approved listings (or variants), or asks for more than there is."""
    merged: dict[tuple[int, int | None], int] = {}
    first: dict[tuple[int, int | None], int] = {}
    for index, line in enumerate(wanted):
        key = (line.listing_id, line.variant_id)
        merged[key] = merged.get(key, 0) + line.quantity
        first.setdefault(key, index)
    listings = {listing.id: listing for listing in session.scalars(
        select(Listing).where(Listing.id.in_({key[0] for key in merged}))
        .options(joinedload(Listing.shop), selectinload(Listing.variants)))}
    problems: dict[str, list[str]] = {}
    lines: list[CartLine] = []
    for key, quantity in merged.items():
        listing_id, variant_id = key
        listing = listings.get(listing_id)
        name = f"items.{first[key]}"
        if listing is None or listing.shop_id != shop.id or listing.status != ListingStatus.APPROVED.value:
            problems[name] = ["Not one of your shop's approved products."]
            continue
        variant: ListingVariant | None = None
        if variant_id is not None:
            variant = next((v for v in listing.variants if v.id == variant_id and not v.archived), None)
            if variant is None:
                problems[name] = ["No such variant of this product."]
                continue
        elif listing.has_variants:
            problems[name] = ["Choose a variant of this product."]
            continue
        if quantity > MAX_QUANTITY:
            problems[name] = [f"At most {MAX_QUANTITY} of one product."]
            continue
        stock = variant.stock if variant is not None else listing.stock
        if quantity > stock:
            problems[name] = ["Not enough in stock." if stock else "Sold out."]
            continue
        price = variant.price_idr if variant is not None else listing.price_idr
        lines.append(CartLine(listing, quantity, price, [], variant))
    if problems:
        raise ValidationFailed("Some items cannot be sold as they are.", fields=problems)
    return lines


def ring_up(session: Session, gateway: PaymentGateway, artisan: User, event_id: int, wanted: list[Wanted], *,
            now: datetime, payment_ttl: timedelta) -> Order:
    """Ring up a booth sale (see the module doc); the order, awaiting its QRIS payment."""
    event, shop = booth_shop(session, artisan, event_id)
    check_open(event, now)
    if METHOD not in gateway.methods:
        raise attempts.MethodUnavailable("QRIS is not available here.", fields={"event_id": [
            "QRIS is not available here."]})
    lines = _lines(session, shop, wanted)
    try:
        reserve_stock(session, lines, now)
    except Conflict as err:  # an online buyer took the last units since the lines were read
        raise Conflict("Someone just bought the last one online; change the quantities.", code=err.code,
                       fields=_named(err.fields, wanted)) from err
    subtotal = sum(line.line_total_idr for line in lines)
    order = Order(
        buyer_id=artisan.id, status=OrderStatus.PENDING_PAYMENT.value, subtotal_idr=subtotal, shipping_idr=0,
        total_idr=subtotal, discount_idr=0, recipient="", phone="", line1=event.venue[:200], city=event.city,
        province=CITY_PROVINCE.get(event.city, ""), postal_code="", created_at=now, updated_at=now,
        payment_due_at=now + payment_ttl, fulfilment=PICKUP, programme_event_id=event.id)
    part = SellerOrder(
        shop_id=shop.id, status=SellerOrderStatus.PENDING_PAYMENT.value, subtotal_idr=subtotal, shipping_idr=0,
        discount_idr=0, subsidy_idr=0, shipping_zone=PICKUP_ZONE,
        weight_grams=sum(line.weight_grams for line in lines), processing_days=0)
    part.items = [OrderItem(
        listing_id=line.listing.id, title=line.listing.title, unit_price_idr=line.seen_price_idr,
        quantity=line.quantity, weight_grams=line.listing.weight_grams, variant_id=line.variant_id,
        variant_options=_options(line.variant)) for line in lines]
    order.seller_orders = [part]
    session.add(order)
    session.flush()
    record(session, "order.placed", key=order.id, data={**placed_event(order), "fulfilment": PICKUP,
                                                      "programme_event_id": event.id})
    attempts.choose_method(session, gateway, artisan, order.id, METHOD, now=now)
    return order


def _named(fields: dict[str, list[str]], wanted: list[Wanted]) -> dict[str, list[str]]:
    """The reservation's refusal (``"<listing>"`` or ``"<listing>:<variant>"``) as the lines it names."""
    keys = {(f"{w.listing_id}:{w.variant_id}" if w.variant_id else str(w.listing_id)): i for i, w in enumerate(wanted)}
    return {f"items.{keys[key]}" if key in keys else key: ["Not enough in stock."] for key in fields}


def _options(variant: ListingVariant | None) -> str | None:
    """A variant's options as bought (JSON text, as the checkout stores them)."""
    return json.dumps(variant.options, ensure_ascii=False) if variant is not None else None


def get_sale(session: Session, artisan: User, order_id: int) -> Order:
    """A booth sale the artisan rang up (anyone else's, or an order that is not a booth sale: 404)."""
    order = session.scalar(select(Order).where(Order.id == order_id).options(
        selectinload(Order.seller_orders).selectinload(SellerOrder.items),
        selectinload(Order.seller_orders).joinedload(SellerOrder.shop)))
    if order is None or order.buyer_id != artisan.id or order.fulfilment != PICKUP:
        raise NotFound("Order not found.")
    return order


def receipt(session: Session, order: Order) -> dict[str, Any]:
    """What the receipt page shows: the shop, the event, the items, the total, when it was paid."""
    event = session.get(ProgrammeEvent, order.programme_event_id) if order.programme_event_id else None
    part = order.seller_orders[0]
    return {"order": order, "shop": part.shop, "event": event, "lines": part.items}
