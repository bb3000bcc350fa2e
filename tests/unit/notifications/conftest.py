"""Fixtures of the notification tests: a committed database (the mail loop runs its own transactions),
orders made straight through the ORM, envelopes as the worker receives them, and a recording mailer."""

from __future__ import annotations

import itertools
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.listings.models import Listing
from marketplace.notifications.mailer import Mail, MailError
from marketplace.orders.models import Order, OrderItem, SellerOrder
from marketplace.shops.models import Shop

NOW = datetime(2026, 3, 2, 3, 0, tzinfo=timezone.utc)  # 10.00 WIB
_seq = itertools.count(1)


@pytest.fixture
def mail_settings(settings: Settings) -> Settings:
    return settings.with_overrides(public_base_url="https://pasar.test", mail_from="Pasar Kreatif <halo@pasar.test>")


def make_user(session: Session, role: str = "buyer", **kw: Any) -> User:
    n = next(_seq)
    user = User(email=kw.pop("email", f"{role}{n}-{uuid.uuid4().hex[:4]}@example.id"), name=kw.pop("name", f"{role.title()} {n}"),
                password_hash="x", role=role, **kw)
    session.add(user)
    session.flush()
    return user


@dataclass
class PlacedOrder:
    order_id: int
    buyer_id: int
    seller_order_ids: list[int]
    artisan_ids: list[int]


def place_paid_order(session: Session, *, shops: int = 2, buyer: User | None = None, paid: bool = True) -> PlacedOrder:
    """An order of ``shops`` shops (one listing each), paid at ``NOW`` (or still pending), committed."""
    buyer = buyer or make_user(session, "buyer", name="Siti Rahma")
    order = Order(buyer_id=buyer.id, subtotal_idr=0, shipping_idr=0, total_idr=0, recipient="Siti Rahma",
                  phone="081234567890", line1="Jl. Melati 3", city="Bandung", province="Jawa Barat",
                  postal_code="40111", created_at=NOW, payment_due_at=NOW + timedelta(hours=1))
    artisans = []
    for i in range(shops):
        artisan = make_user(session, "artisan")
        artisans.append(artisan.id)
        n = next(_seq)
        shop = Shop(owner_id=artisan.id, name=f"Batik Ciputat {n}", slug=f"batik-{n}", city="Tangerang Selatan",
                    kelurahan="Cipayung")
        session.add(shop)
        session.flush()
        listing = Listing(shop_id=shop.id, title=f"Kain batik tulis {n}", description="d", price_idr=150_000,
                          category="batik", status="approved", stock=3, weight_grams=400)
        session.add(listing)
        session.flush()
        part = SellerOrder(shop_id=shop.id, subtotal_idr=300_000, shipping_idr=25_000, shipping_zone="rest_of_java",
                           weight_grams=800)
        part.items.append(OrderItem(listing_id=listing.id, title=listing.title, unit_price_idr=150_000, quantity=2,
                                    weight_grams=400))
        if paid:
            part.status, part.ship_by = "awaiting_shipment", NOW + timedelta(days=2)
        order.seller_orders.append(part)
    order.subtotal_idr = 300_000 * shops
    order.shipping_idr = 25_000 * shops
    order.total_idr = order.subtotal_idr + order.shipping_idr
    if paid:
        order.status, order.paid_at = "paid", NOW
    session.add(order)
    session.flush()
    placed = PlacedOrder(order.id, buyer.id, [p.id for p in order.seller_orders], artisans)
    session.commit()
    return placed


def envelope(event_type: str, data: dict[str, Any], key: int | str = 1) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "type": event_type, "version": 1, "occurred_at": NOW.isoformat(),
            "key": str(key), "correlation_id": str(uuid.uuid4()), "data": data}


@dataclass
class RecordingMailer:
    """A ``Mailer`` that keeps what it was given; ``failures`` are raised, in order, before it succeeds."""

    name: str = "recording"
    sent: list[Mail] = field(default_factory=list)
    attempts: list[Mail] = field(default_factory=list)
    failures: list[MailError] = field(default_factory=list)

    def send(self, mail: Mail) -> None:
        self.attempts.append(mail)
        if self.failures:
            raise self.failures.pop(0)
        self.sent.append(mail)


@pytest.fixture
def mailer() -> RecordingMailer:
    return RecordingMailer()
