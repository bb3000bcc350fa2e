"""Fulfilment and the scheduler's jobs, called directly in a rolled-back transaction (``tx``)."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.errors import Conflict, NotFound
from marketplace.orders import services as orders
from marketplace.orders.fulfilment import services as fulfilment
from tests import factories
from tests.unit.orders.test_checkout import NOW, checkout


def _events(tx, type_):
    return [json.loads(p)["data"] for p in tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_))]


@pytest.fixture
def paid(tx):
    """A paid order of two shops: (order, sari's part, budi's part, buyer, sari, budi)."""
    sari, budi = factories.shop(tx).owner, factories.shop(tx).owner
    batik = factories.listing(tx, sari, status="approved", stock=3)
    mug = factories.listing(tx, budi, status="approved", stock=2, price_idr=75_000)
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 1)
    cart.add_item(tx, buyer, mug.id, 2)
    order = checkout(tx, buyer)
    orders.mark_paid(tx, order.id, now=NOW)
    first, second = order.seller_orders
    return order, first, second, buyer, sari, budi, mug


def test_ship_then_confirm_both_parts_completes_the_order(tx, paid):
    order, first, second, buyer, sari, budi, _ = paid
    fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-0001", now=NOW)
    assert (first.status, first.courier, first.tracking_number) == ("shipped", "JNE", "JNE-0001")
    fulfilment.confirm_delivery(tx, buyer, first.id, now=NOW)
    assert order.status == "paid"  # one parcel still on its way
    fulfilment.ship(tx, budi, second.id, courier="SiCepat", tracking_number="SC-99", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, second.id, now=NOW)
    assert order.status == "completed"
    assert [e["seller_order_id"] for e in _events(tx, "order.shipped")] == [first.id, second.id]
    assert len(_events(tx, "order.delivered")) == 2


def test_shipping_twice_or_confirming_an_unshipped_parcel_is_409(tx, paid):
    _, first, _, buyer, sari, _, _ = paid
    with pytest.raises(Conflict):
        fulfilment.confirm_delivery(tx, buyer, first.id, now=NOW)
    fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-0001", now=NOW)
    with pytest.raises(Conflict):
        fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-0002", now=NOW)
    assert first.tracking_number == "JNE-0001" and len(_events(tx, "order.shipped")) == 1


def test_nobody_acts_on_someone_elses_order(tx, paid):
    _, first, second, buyer, sari, budi, _ = paid
    with pytest.raises(NotFound):
        fulfilment.ship(tx, budi, first.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    fulfilment.ship(tx, budi, second.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    with pytest.raises(NotFound):
        fulfilment.confirm_delivery(tx, factories.user(tx, "buyer"), second.id, now=NOW)
    assert [so.id for so in fulfilment.seller_orders(tx, sari)] == [first.id]


def test_an_artisan_cancelling_their_part_returns_the_stock_and_says_what_is_owed(tx, paid):
    order, first, second, buyer, sari, budi, mug = paid
    fulfilment.cancel_part(tx, budi, second.id, reason="Kiln broke; cannot make it in time", now=NOW)
    tx.refresh(mug)
    assert second.status == "cancelled" and mug.stock == 2
    assert _events(tx, "order.cancelled") == [{
        "order_id": order.id, "seller_order_id": second.id, "shop_id": second.shop_id,
        "reason": "Kiln broke; cannot make it in time", "refund_idr": second.subtotal_idr + second.shipping_idr}]
    with pytest.raises(Conflict):
        fulfilment.cancel_part(tx, budi, second.id, reason="again", now=NOW)
    fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-7", now=NOW)
    fulfilment.confirm_delivery(tx, buyer, first.id, now=NOW)
    assert order.status == "completed"


def test_unpaid_orders_expire_only_after_their_deadline(tx):
    seller = factories.shop(tx).owner
    listing = factories.listing(tx, seller, status="approved", stock=2)
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, listing.id, 2)
    order = checkout(tx, buyer)  # due one hour after NOW
    assert fulfilment.due_unpaid_orders(tx, NOW + timedelta(minutes=59)) == []
    later = NOW + timedelta(minutes=61)
    assert fulfilment.due_unpaid_orders(tx, later) == [order.id]
    assert fulfilment.expire_unpaid(tx, order.id, now=later) is True
    tx.refresh(listing)
    assert order.status == "cancelled" and order.cancel_reason == "payment expired" and listing.stock == 2
    assert fulfilment.expire_unpaid(tx, order.id, now=later) is False
    assert _events(tx, "order.payment_failed") == []


def test_parcels_are_confirmed_for_the_buyer_after_the_waiting_period(tx, paid):
    order, first, second, _, sari, budi, _ = paid
    fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-1", now=NOW)
    fulfilment.ship(tx, budi, second.id, courier="JNE", tracking_number="JNE-2", now=NOW + timedelta(days=3))
    week = timedelta(days=7)
    at = NOW + timedelta(days=8)
    assert fulfilment.due_deliveries(tx, at, week) == [first.id]
    assert fulfilment.auto_confirm(tx, first.id, now=at, after=week) is True
    assert fulfilment.auto_confirm(tx, second.id, now=at, after=week) is False
    assert (first.status, second.status, order.status) == ("delivered", "shipped", "paid")
