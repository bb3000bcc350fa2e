"""The artisan ships, the buyer confirms, the scheduler tidies up: through the JSON API and its jobs."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.orders import scheduler, services as orders
from tests.unit.orders.test_api import ADDRESS


def _order(api, app, market, *, paid=True):
    seller = market.seller()
    listing = market.approved_listing(seller, stock=4)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 2})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    if paid:
        with app.extensions["db"].transaction() as session:
            orders.mark_paid(session, order["id"], now=utcnow())
    return order, seller, buyer, listing


def test_artisan_ships_buyer_confirms_and_the_order_completes(api, app, market):
    order, seller, buyer, _ = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    todo = api.get("/api/v1/seller/orders", as_=seller).json["items"]
    assert [(p["id"], p["status"]) for p in todo] == [(part_id, "awaiting_shipment")]
    assert todo[0]["shipping_address"]["city"] == "Makassar" and todo[0]["ship_by"]
    assert todo[0]["items"][0]["quantity"] == 2

    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller,
                    json={"courier": "JNE", "tracking_number": "JNE-12345"})
    assert resp.status_code == 200 and resp.json["status"] == "shipped"
    again = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller,
                     json={"courier": "JNE", "tracking_number": "JNE-99999"})
    assert again.status_code == 409
    shown = api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["seller_orders"][0]
    assert (shown["courier"], shown["tracking_number"]) == ("JNE", "JNE-12345")

    assert api.post(f"/api/v1/seller-orders/{part_id}/confirm-delivery", as_=buyer).json["status"] == "delivered"
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["status"] == "completed"
    timeline = [e["type"] for e in api.get(f"/api/v1/orders/{order['id']}/events", as_=buyer).json["items"]]
    assert timeline == ["order.placed", "order.paid", "order.shipped", "order.delivered"]


def test_unpaid_parts_are_not_on_the_artisans_list_and_cannot_be_shipped(api, app, market):
    order, seller, buyer, _ = _order(api, app, market, paid=False)
    assert api.get("/api/v1/seller/orders", as_=seller).json["items"] == []
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"courier": "JNE", "tracking_number": "JNE-1"})
    assert resp.status_code == 409
    assert api.post(f"/api/v1/seller-orders/{part_id}/confirm-delivery", as_=buyer).status_code == 409


def test_cancel_before_shipping_returns_stock(api, app, market):
    order, seller, buyer, listing = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/cancel", as_=seller, json={"reason": "Bahan habis"})
    assert resp.status_code == 200 and resp.json["status"] == "cancelled"
    assert api.get(f"/api/v1/listings/{listing['id']}").json["stock"] == 4


@pytest.mark.parametrize("body, field", [
    ({"courier": "J", "tracking_number": "JNE-1"}, "courier"),
    ({"courier": "JNE", "tracking_number": "<script>"}, "tracking_number"),
    ({"courier": "JNE"}, "tracking_number"),
])
def test_bad_shipping_details_are_422(api, app, market, body, field):
    order, seller, _, _ = _order(api, app, market)
    resp = api.post(f"/api/v1/seller/orders/{order['seller_orders'][0]['id']}/ship", as_=seller, json=body)
    assert resp.status_code == 422 and field in resp.json["error"]["fields"]


def test_other_people_get_404(api, app, market):
    order, seller, buyer, _ = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    other_artisan = market.seller(kelurahan="Pamulang Barat")
    assert api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=other_artisan,
                    json={"courier": "JNE", "tracking_number": "JNE-1"}).status_code == 404
    assert api.post(f"/api/v1/seller/orders/{part_id}/cancel", as_=other_artisan, json={"reason": "mine"}).status_code == 404
    assert api.post(f"/api/v1/seller-orders/{part_id}/confirm-delivery", as_=api.make_user("buyer")).status_code == 404


def test_admin_finds_orders_by_status_number_and_buyer(api, app, market):
    paid, _, buyer, _ = _order(api, app, market)
    unpaid, _, _, _ = _order(api, app, market, paid=False)
    admin = market.admin
    ids = lambda **q: [o["id"] for o in api.get("/api/v1/admin/orders", as_=admin, query_string=q).json["items"]]
    assert ids() == [unpaid["id"], paid["id"]]
    assert ids(status="paid") == [paid["id"]]
    assert ids(q=f"#{paid['id']}") == [paid["id"]]
    assert ids(q=buyer.email.upper()) == [paid["id"]]
    assert api.get("/api/v1/admin/orders", as_=admin, query_string={"status": "lost"}).status_code == 422


def test_scheduler_expires_unpaid_orders_and_confirms_old_parcels(api, app, market, settings):
    unpaid, _, _, listing = _order(api, app, market, paid=False)
    paid, seller, buyer, _ = _order(api, app, market)
    part_id = paid["seller_orders"][0]["id"]
    api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"courier": "JNE", "tracking_number": "JNE-1"})
    factory = app.extensions["db"].write_session_factory

    assert scheduler.tick(factory, settings) == scheduler.Tick(expired=0, confirmed=0)
    later = utcnow() + timedelta(days=settings.auto_confirm_days, minutes=settings.order_payment_ttl_minutes + 1)
    assert scheduler.tick(factory, settings, now=later) == scheduler.Tick(expired=1, confirmed=1)
    assert scheduler.tick(factory, settings, now=later) == scheduler.Tick(expired=0, confirmed=0)  # nothing twice
    assert api.get(f"/api/v1/listings/{listing['id']}").json["stock"] == 4
    assert api.get(f"/api/v1/orders/{paid['id']}", as_=buyer).json["status"] == "completed"
