"""Orders straight through the ORM, as checkout will make them (stock reserved, ``order.placed``
recorded), until checkout lands; and signed Stripe-format events for the webhook tests."""

from __future__ import annotations

import itertools
import json
import time
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from events.outbox import record
from marketplace.db import utcnow
from marketplace.listings.models import Listing
from marketplace.orders.models import Order, OrderItem, SellerOrder
from marketplace.payments.gateways import SandboxGateway
from marketplace.payments.models import Payment
from marketplace.payments.services import sandbox_event
from tests.unit.catalog.factories import Catalog

_seq = itertools.count(1)


def place_order(session: Session, buyer_id: int, *, price_idr: int = 125_000, quantity: int = 2,
                shipping_idr: int = 25_000, stock: int = 5) -> tuple[Order, Listing]:
    """One pending order of one shop's listing, its stock reserved, ``order.placed`` in the outbox (committed)."""
    catalog = Catalog(session)
    listing = catalog.listing(catalog.shop(), price_idr=price_idr, stock=stock, title=f"Batik tulis {next(_seq)}")
    listing.stock -= quantity
    subtotal = price_idr * quantity
    now = utcnow()
    order = Order(buyer_id=buyer_id, subtotal_idr=subtotal, shipping_idr=shipping_idr, total_idr=subtotal + shipping_idr,
                  recipient="Siti", phone="081234567890", line1="Jl. Melati 3", city="Bandung",
                  province="Jawa Barat", postal_code="40111", payment_due_at=now + timedelta(hours=1))
    seller_order = SellerOrder(shop_id=listing.shop_id, subtotal_idr=subtotal, shipping_idr=shipping_idr,
                               shipping_zone="rest_of_java", weight_grams=listing.weight_grams * quantity)
    seller_order.items.append(OrderItem(listing_id=listing.id, title=listing.title, unit_price_idr=price_idr,
                                        quantity=quantity, weight_grams=listing.weight_grams))
    order.seller_orders.append(seller_order)
    session.add(order)
    session.flush()
    record(session, "order.placed", key=order.id, data={
        "order_id": order.id, "buyer_id": buyer_id, "subtotal_idr": subtotal, "shipping_idr": shipping_idr,
        "total_idr": order.total_idr, "seller_orders": [{
            "seller_order_id": seller_order.id, "shop_id": listing.shop_id, "subtotal_idr": subtotal,
            "shipping_idr": shipping_idr, "items": [{"listing_id": listing.id, "title": listing.title,
                                                     "quantity": quantity, "unit_price_idr": price_idr}],
        }],
    })
    session.commit()
    return order, listing


def payment_of(session: Session, order_id: int) -> Payment | None:
    session.rollback()  # a fresh snapshot
    session.expire_all()
    return session.scalar(select(Payment).where(Payment.order_id == order_id))


def signed(gateway: SandboxGateway, event: dict[str, Any], *, age: int = 0) -> tuple[bytes, dict[str, str]]:
    payload = json.dumps(event).encode()
    return payload, gateway.sign(payload, int(time.time()) - age)


def event_for(payment: Payment, kind: str) -> dict[str, Any]:
    """A Stripe-format event about ``payment``: ``succeeded``, ``failed`` or ``canceled``."""
    event = sandbox_event(payment, succeeds=kind == "succeeded", method_type="card", now=utcnow())
    if kind == "canceled":
        event["type"] = "payment_intent.canceled"
        event["data"]["object"].update(status="canceled", cancellation_reason="abandoned", last_payment_error=None)
    return event
