"""Checkout as one use case, called directly in a transaction rolled back after each test (``tx``).

Shipping is passed in (the entry point builds it from the rate table); here a fixed fee per zone-less
shop keeps the arithmetic visible.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.cart import services as cart
from marketplace.db import utcnow
from marketplace.errors import Conflict
from marketplace.orders import services as orders
from marketplace.orders.checkout import ShippingQuote, place_order
from marketplace.orders.models import Order, OrderItem, SellerOrder
from tests import factories

ADDRESS = {"recipient": "Rina", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Makassar",
           "province": "Sulawesi Selatan", "postal_code": "90111"}
NOW = utcnow()


def flat_fee(shop, weight_grams, city, province) -> ShippingQuote:
    return ShippingQuote(zone="outside_java", shipping_idr=20_000 + weight_grams)  # grams as rupiah: easy to check


def checkout(tx, buyer):
    return place_order(tx, buyer, ADDRESS, quote_shipping=flat_fee, now=NOW, payment_ttl=timedelta(minutes=60))


def events(tx, type_):
    return [json.loads(p)["data"] for p in tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_))]


@pytest.fixture
def two_shops(tx):
    sari, budi = factories.shop(tx).owner, factories.shop(tx).owner
    batik = factories.listing(tx, sari, status="approved", stock=3, price_idr=350_000, weight_grams=400)
    tas = factories.listing(tx, sari, status="approved", stock=5, price_idr=120_000, weight_grams=300)
    mug = factories.listing(tx, budi, status="approved", stock=1, price_idr=75_000, weight_grams=500,
                            fulfilment="made_to_order", processing_days=5)
    return batik, tas, mug


def test_one_order_one_seller_order_per_shop_stock_reserved_cart_emptied(tx, two_shops):
    batik, tas, mug = two_shops
    buyer = factories.user(tx, "buyer")
    for listing, quantity in ((batik, 2), (tas, 1), (mug, 1)):
        cart.add_item(tx, buyer, listing.id, quantity)
    order = checkout(tx, buyer)
    assert order.status == "pending_payment" and order.payment_due_at == NOW + timedelta(minutes=60)
    sari_part, budi_part = order.seller_orders
    assert (sari_part.subtotal_idr, sari_part.weight_grams, sari_part.shipping_idr) == (820_000, 1_100, 21_100)
    assert (budi_part.subtotal_idr, budi_part.shipping_idr, budi_part.processing_days) == (75_000, 20_500, 5)
    assert (order.subtotal_idr, order.shipping_idr, order.total_idr) == (895_000, 41_600, 936_600)
    assert [(i.title, i.quantity, i.unit_price_idr) for i in sari_part.items] == [
        (batik.title, 2, 350_000), (tas.title, 1, 120_000)]
    tx.refresh(batik), tx.refresh(tas), tx.refresh(mug)
    assert (batik.stock, tas.stock, mug.stock) == (1, 4, 0)
    assert cart.get_cart(tx, buyer).lines == []
    placed = events(tx, "order.placed")
    assert placed == [{
        "order_id": order.id, "buyer_id": buyer.id, "subtotal_idr": 895_000, "shipping_idr": 41_600,
        "total_idr": 936_600, "seller_orders": [
            {"seller_order_id": sari_part.id, "shop_id": sari_part.shop_id, "subtotal_idr": 820_000,
             "shipping_idr": 21_100, "items": [
                 {"listing_id": batik.id, "title": batik.title, "quantity": 2, "unit_price_idr": 350_000},
                 {"listing_id": tas.id, "title": tas.title, "quantity": 1, "unit_price_idr": 120_000}]},
            {"seller_order_id": budi_part.id, "shop_id": budi_part.shop_id, "subtotal_idr": 75_000,
             "shipping_idr": 20_500, "items": [
                 {"listing_id": mug.id, "title": mug.title, "quantity": 1, "unit_price_idr": 75_000}]},
        ]}]
    assert events(tx, "listing.sold_out") == [{"listing_id": mug.id, "shop_id": mug.shop_id}]


def test_the_order_handed_back_is_the_order_as_stored(tx, two_shops):
    """The response is built from the objects the checkout hands back without reading them again:
    every column of the order, its seller orders and items must be what the database holds, and the
    seller orders and items in the order a reload gives (by id: cart order)."""
    batik, tas, mug = two_shops
    buyer = factories.user(tx, "buyer")
    for listing, quantity in ((mug, 1), (tas, 2), (batik, 1)):  # the second shop's product first
        cart.add_item(tx, buyer, listing.id, quantity)
    order = checkout(tx, buyer)

    def stored(model, column, value):
        table = model.__table__
        return [dict(row._mapping) for row in tx.execute(select(table).where(column == value).order_by(table.c.id))]

    def held(instance):
        return {column.key: getattr(instance, column.key) for column in type(instance).__table__.c}

    assert [held(order)] == stored(Order, Order.id, order.id)
    assert [held(part) for part in order.seller_orders] == stored(SellerOrder, SellerOrder.order_id, order.id)
    assert [part.shop_id for part in order.seller_orders] == [mug.shop_id, tas.shop_id]
    for part in order.seller_orders:
        assert [held(item) for item in part.items] == stored(OrderItem, OrderItem.seller_order_id, part.id)
    assert [[item.listing_id for item in part.items] for part in order.seller_orders] == [[mug.id], [tas.id, batik.id]]


def test_an_empty_cart_cannot_be_checked_out(tx):
    with pytest.raises(Conflict) as raised:
        checkout(tx, factories.user(tx, "buyer"))
    assert raised.value.code == "cart_empty"


@pytest.mark.parametrize("change, problem", [
    ({"stock": 0}, "sold_out"),
    ({"stock": 1}, "insufficient_stock"),
    ({"status": "withdrawn"}, "unavailable"),
    ({"price_idr": 360_000}, "price_changed"),
])
def test_a_cart_with_a_problem_is_refused_naming_the_product(tx, two_shops, change, problem):
    batik = two_shops[0]
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 2)
    for name, value in change.items():
        setattr(batik, name, value)
    tx.flush()
    with pytest.raises(Conflict) as raised:
        checkout(tx, buyer)
    assert raised.value.code == "cart_has_problems"
    assert raised.value.fields == {str(batik.id): [problem]}


def test_stock_taken_between_reading_the_cart_and_reserving_is_a_conflict(tx, two_shops, monkeypatch):
    """The conditional update is the guard, not the read before it."""
    batik = two_shops[0]
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 3)
    real_group = cart.group

    def group_then_someone_buys(entries):
        result = real_group(entries)
        tx.execute(type(batik).__table__.update().where(type(batik).__table__.c.id == batik.id).values(stock=2))
        return result

    monkeypatch.setattr(cart, "group", group_then_someone_buys)
    with pytest.raises(Conflict) as raised:
        checkout(tx, buyer)
    assert raised.value.code == "out_of_stock"


def test_every_product_that_fell_short_is_named(tx, two_shops, monkeypatch):
    """Two of three products bought by someone else between the cart's read and the reservation: the 409
    names both (the buyer fixes the cart once), not the one still there."""
    batik, tas, mug = two_shops
    buyer = factories.user(tx, "buyer")
    for listing, quantity in ((batik, 3), (tas, 1), (mug, 1)):
        cart.add_item(tx, buyer, listing.id, quantity)
    real_group = cart.group
    table = type(batik).__table__

    def group_then_someone_buys(entries):
        result = real_group(entries)
        tx.execute(table.update().where(table.c.id.in_([batik.id, mug.id])).values(stock=table.c.stock - 1))
        return result

    monkeypatch.setattr(cart, "group", group_then_someone_buys)
    with pytest.raises(Conflict) as raised:
        checkout(tx, buyer)
    assert raised.value.code == "out_of_stock"
    assert raised.value.fields == {str(batik.id): ["insufficient_stock"], str(mug.id): ["insufficient_stock"]}


def test_paid_then_a_late_failure_changes_nothing(tx, two_shops):
    batik = two_shops[0]
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 2)
    order = checkout(tx, buyer)
    assert orders.mark_paid(tx, order.id, now=NOW) is True
    assert [so.status for so in order.seller_orders] == ["awaiting_shipment"]
    assert order.seller_orders[0].ship_by == NOW + timedelta(days=orders.HANDLING_DAYS)
    assert orders.cancel_unpaid(tx, order.id, "card declined", now=NOW, payment_failed=True) is False
    assert orders.mark_paid(tx, order.id, now=NOW) is False
    assert order.status == "paid"
    assert len(events(tx, "order.paid")) == 1 and events(tx, "order.cancelled") == []


def test_cancelling_an_unpaid_order_returns_its_stock(tx, two_shops):
    batik, tas, _ = two_shops
    buyer = factories.user(tx, "buyer")
    cart.add_item(tx, buyer, batik.id, 3)
    cart.add_item(tx, buyer, tas.id, 2)
    order = checkout(tx, buyer)
    assert orders.cancel_unpaid(tx, order.id, "card declined", now=NOW, payment_failed=True) is True
    tx.refresh(batik), tx.refresh(tas)
    assert (batik.stock, tas.stock) == (3, 5)
    assert order.status == "cancelled" and [so.status for so in order.seller_orders] == ["cancelled"]
    assert events(tx, "order.payment_failed") == [{"order_id": order.id, "reason": "card declined"}]
    assert events(tx, "order.cancelled") == [{"order_id": order.id, "reason": "card declined"}]
