"""Which event tells whom what: one function per event type, called by the notifications worker.

Each reads what its messages need from the database (the event names the ids; the order, its seller
orders and their items are the truth) and queues one row per recipient and kind
(:func:`marketplace.notifications.services.queue`), all in the event's transaction.

The buyer's "confirm when it arrives" reminder: ``order.shipped`` tells the buyer at once (courier,
tracking number, and that they confirm on the order page), and queues the optional reminder due
``DELIVERY_REMINDER_DAYS`` later; when it falls due the delivery loop sends it only if that seller
order is still shipped and unconfirmed (else it is skipped as ``no_longer_relevant``). So no
scheduler job is needed, and the scheduler's auto-confirmation after ``AUTO_CONFIRM_DAYS`` comes later.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.config import Settings
from marketplace.follows import services as follows
from marketplace.listings.models import Listing
from marketplace.notifications import services
from marketplace.orders.models import PICKUP, Order, SellerOrder
from marketplace.shops.models import Shop

Event = dict[str, Any]


def _order(session: Session, order_id: int) -> Order:
    order = session.get(Order, order_id)
    if order is None:
        raise LookupError(f"order {order_id} not found")  # retried, then parked in the DLQ
    return order


def _seller_order(order: Order, seller_order_id: int) -> SellerOrder:
    for part in order.seller_orders:
        if part.id == seller_order_id:
            return part
    raise LookupError(f"seller order {seller_order_id} is not part of order {order.id}")


def _links(settings: Settings, order: Order) -> dict[str, str]:
    base = settings.public_base_url.rstrip("/")
    return {"order_url": f"{base}/orders/{order.id}", "pay_url": f"{base}/orders/{order.id}/pay",
            "seller_orders_url": f"{base}/seller/orders"}


def _to_buyer(session: Session, settings: Settings, event: Event, kind: str, order: Order, now: datetime,
              **extra: Any) -> None:
    if order.fulfilment == PICKUP:  # a booth sale: its buyer of record is the artisan at the stand
        return
    context = {"order": order, **_links(settings, order), **extra.pop("context", {})}
    services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind=kind,
                   recipient=order.buyer, context=context, now=now, **extra)


def _to_artisan(session: Session, settings: Settings, event: Event, kind: str, part: SellerOrder, now: datetime,
                **context: Any) -> None:
    order = part.order
    if order.fulfilment == PICKUP:  # a booth sale: the artisan rang it up and handed it over there
        return
    services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind=kind,
                   recipient=part.shop.owner, now=now,
                   context={"order": order, "part": part, **_links(settings, order), **context})


def order_placed(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer: what they ordered, how and by when to pay, and the link to the payment page."""
    order = _order(session, event["data"]["order_id"])
    _to_buyer(session, settings, event, "order_placed", order, now)


def payment_instructions(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer, once their chosen method's attempt exists at the gateway: how to pay it — a bank
    transfer's virtual account number, the amount and the deadline; for a QR code or an e-wallet, where
    to finish it. Nothing for a card (paid on the page at once), nor once the order is no longer unpaid
    or the attempt was replaced by another method."""
    import json

    from marketplace.orders.models import OrderStatus
    from marketplace.payments.methods import CARD_FORM, METHODS
    from marketplace.payments.models import Payment, PaymentStatus

    payment = session.get(Payment, event["data"]["payment_id"])
    if payment is None or payment.method not in METHODS or not payment.action:
        return
    action = json.loads(payment.action)
    order = _order(session, payment.order_id)
    if (action.get("type") == CARD_FORM or payment.superseded_at is not None
            or payment.status != PaymentStatus.REQUIRES_PAYMENT.value
            or order.status != OrderStatus.PENDING_PAYMENT.value):
        return
    _to_buyer(session, settings, event, "payment_instructions", order, now, context={
        "method": METHODS[payment.method], "action": action, "amount_idr": payment.amount_idr,
        "expires_at": payment.expires_at or order.payment_due_at})


def order_paid(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer: payment received. Each artisan in the order: their part to ship, by when, to where."""
    order = _order(session, event["data"]["order_id"])
    _to_buyer(session, settings, event, "order_paid", order, now)
    for seller_order_id in event["data"]["seller_order_ids"]:
        _to_artisan(session, settings, event, "seller_order_to_ship", _seller_order(order, seller_order_id), now)


def order_shipped(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer: which courier, which tracking number; and the reminder to confirm, due later."""
    data = event["data"]
    order = _order(session, data["order_id"])
    part = _seller_order(order, data["seller_order_id"])
    context = {"part": part, "courier": data["courier"], "tracking_number": data["tracking_number"]}
    _to_buyer(session, settings, event, "order_shipped", order, now, context=context)
    _to_buyer(session, settings, event, "order_delivery_reminder", order, now, context=context,
              send_at=now + timedelta(days=settings.delivery_reminder_days), seller_order_id=part.id)


def order_delivered(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The artisan: the buyer confirmed (or the scheduler did, after the waiting time)."""
    data = event["data"]
    part = _seller_order(_order(session, data["order_id"]), data["seller_order_id"])
    _to_artisan(session, settings, event, "seller_order_delivered", part, now)
    order_delivered_to_buyer(session, settings, event, now)
    review_invite(session, settings, event, now)


def review_invite(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer, once per delivered seller order (the row is unique per event and kind): an invitation
    to review each item, with the link to its review page and how long it stays open."""
    data = event["data"]
    order = _order(session, data["order_id"])
    part = _seller_order(order, data["seller_order_id"])
    base = settings.public_base_url.rstrip("/")
    _to_buyer(session, settings, event, "review_invite", order, now, context={
        "part": part, "review_base": f"{base}/orders/{order.id}/items", "window_days": settings.review_window_days})


def order_delivered_to_buyer(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer, by WhatsApp only (their own confirmation needs no e-mail): the parcel has arrived."""
    data = event["data"]
    order = _order(session, data["order_id"])
    if order.fulfilment == PICKUP:
        return
    part = _seller_order(order, data["seller_order_id"])
    services.queue_whatsapp(session, settings, event_id=str(event["id"]), event_type=event["type"],
                            kind="order_delivered", recipient=order.buyer, now=now,
                            context={"order": order, "part": part, **_links(settings, order)})


def _listing_owner(session: Session, listing_id: int) -> tuple[Listing, User]:
    listing = session.get(Listing, listing_id)
    if listing is None:
        raise LookupError(f"listing {listing_id} not found")
    shop = session.get(Shop, listing.shop_id)
    if shop is None:
        raise LookupError(f"shop {listing.shop_id} not found")
    return listing, shop.owner


def listing_approved(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The artisan, by e-mail and WhatsApp: the product is public now, and its link to share. The shop's
    followers: a new product (in-app now, in their daily digest later), the first time it is approved."""
    listing, owner = _listing_owner(session, event["data"]["listing_id"])
    follows.announce_listing(session, listing.id, now=now)
    base = settings.public_base_url.rstrip("/")
    services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"],
                   kind="listing_approved", recipient=owner, now=now,
                   context={"title": listing.title, "listing_url": f"{base}/listings/{listing.id}"})


def listing_rejected(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The artisan, by e-mail and WhatsApp: the product was not approved, the reason, where to fix it."""
    listing, owner = _listing_owner(session, event["data"]["listing_id"])
    base = settings.public_base_url.rstrip("/")
    services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"],
                   kind="listing_rejected", recipient=owner, now=now,
                   context={"title": listing.title, "reason": event["data"]["reason"],
                            "edit_url": f"{base}/seller/listings/{listing.id}/edit"})


def order_cancelled(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer: the whole order (unpaid, expired or declined) or one artisan's part, and why."""
    data = event["data"]
    order = _order(session, data["order_id"])
    part = _seller_order(order, data["seller_order_id"]) if data.get("seller_order_id") else None
    _to_buyer(session, settings, event, "order_cancelled", order, now,
              context={"part": part, "reason": data["reason"], "refund_idr": data.get("refund_idr")})


def order_refunded(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The buyer: the money is on its way back."""
    data = event["data"]
    order = _order(session, data["order_id"])
    part = _seller_order(order, data["seller_order_id"]) if data.get("seller_order_id") else None
    _to_buyer(session, settings, event, "order_refunded", order, now,
              context={"part": part, "amount_idr": data["amount_idr"], "reason": data["reason"]})


def payout_paid(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """The artisan: how much was transferred and, when the event says so, for which orders."""
    data = event["data"]
    seller = session.get(User, data["seller_id"])
    if seller is None:
        raise LookupError(f"seller {data['seller_id']} not found")
    shop = session.get(Shop, data["shop_id"]) if data.get("shop_id") else session.scalar(
        select(Shop).where(Shop.owner_id == seller.id))
    context = {"payout_id": data["payout_id"], "amount_idr": data["amount_idr"], "transfer_id": data["transfer_id"],
               "seller_order_ids": list(data.get("seller_order_ids") or []), "shop": shop,
               "payouts_url": settings.public_base_url.rstrip("/") + "/seller/payouts"}
    services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind="payout_paid",
                   recipient=seller, context=context, now=now)


def payout_failed(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """Every active admin: a payout that did not go through, whose it was, and why."""
    data = event["data"]
    seller = session.get(User, data["seller_id"])
    admins = session.scalars(select(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
                             .order_by(User.id))
    context = {"payout_id": data["payout_id"], "seller": seller, "seller_id": data["seller_id"],
               "reason": data["reason"], "admin_url": settings.public_base_url.rstrip("/") + "/admin/payouts"}
    for admin in admins:
        services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"], kind="payout_failed",
                       recipient=admin, context=context, now=now)


def shipment_updated(session: Session, settings: Settings, event: Event, now: datetime) -> None:
    """A courier's step (issue #25): the buyer when the courier picked the parcel up; every active admin
    when it went back to the shop (someone must call the buyer and the artisan). Other steps: nothing
    (``delivered`` is told by ``order.delivered``)."""
    data = event["data"]
    if data["status"] not in ("picked_up", "returned"):
        return
    order = _order(session, data["order_id"])
    part = _seller_order(order, data["seller_order_id"])
    context = {"part": part, "courier": part.courier or "", "tracking_number": data.get("waybill") or ""}
    if data["status"] == "picked_up":
        _to_buyer(session, settings, event, "shipment_picked_up", order, now, context=context)
        return
    admins = session.scalars(select(User).where(User.role == Role.ADMIN.value, User.is_active.is_(True))
                             .order_by(User.id))
    context.update(order=order, admin_url=settings.public_base_url.rstrip("/") + f"/admin/orders?q={order.id}")
    for admin in admins:
        services.queue(session, settings, event_id=str(event["id"]), event_type=event["type"],
                       kind="shipment_returned", recipient=admin, context=context, now=now)
