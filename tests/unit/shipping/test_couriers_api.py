"""Couriers end to end through the JSON API on the sandbox provider: options per shop, the buyer's
choice re-quoted at checkout, booking once, tracking that never goes backwards, forged webhooks refused."""

from __future__ import annotations

import json

import pytest
from datetime import timedelta
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.orders import services as orders
from marketplace.orders.models import SellerOrder
from marketplace.shipping import biteship
from marketplace.shipping.providers import Booking, CourierError
from marketplace.shipping.sandbox import SandboxProvider, sandbox_secret
from marketplace.web import deps
from tests.unit.orders.test_api import ADDRESS

JAKARTA = {**ADDRESS, "city": "Jakarta Selatan", "province": "DKI Jakarta", "postal_code": "12110"}


@pytest.fixture
def settings(settings):
    return settings.with_overrides(shipping_provider="sandbox")


def _cart(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller, stock=4)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 2})
    return seller, buyer, listing


def _paid(api, app, market, choice="jne:reg"):
    seller, buyer, listing = _cart(api, market)
    resp = api.post("/api/v1/checkout", as_=buyer,
                    json={"shipping_address": JAKARTA, "shipping_choices": {str(seller.shop_id): choice}})
    assert resp.status_code == 201, resp.json
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, resp.json["id"], now=utcnow())
    return resp.json, seller, buyer


def _signed(app, **body):
    secret = sandbox_secret(app.extensions["deps"].settings)
    return json.dumps({"event": "order.status", **body}).encode(), {biteship.SIGNATURE_HEADER: secret,
                                                                    "Content-Type": "application/json"}


def test_a_listing_shows_its_cheapest_and_fastest_courier_to_a_destination(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    resp = api.get(f"/api/v1/shipping/rates?listing_id={listing['id']}&destination_city=Medan&province=Sumatera Utara")
    assert resp.status_code == 200
    codes = [o["code"] for o in resp.json["options"]]
    assert {"jne:reg", "jne:yes", "jnt:ez", "sicepat:reg", "sicepat:best"} <= set(codes)
    prices = [o["price_idr"] for o in resp.json["options"]]
    assert resp.json["cheapest"]["price_idr"] == min(prices)
    assert resp.json["fastest"]["etd_days"] == min(o["etd_days"] for o in resp.json["options"])
    bad = api.get(f"/api/v1/shipping/rates?listing_id={listing['id']}&destination_city=Medan&province=Atlantis")
    assert bad.status_code == 422 and "province" in bad.json["error"]["fields"]
    assert api.get("/api/v1/shipping/rates?destination_city=Medan&province=Aceh").status_code == 401


def test_the_cart_shows_options_per_shop(api, market):
    seller, buyer, _ = _cart(api, market)
    resp = api.get("/api/v1/shipping/rates?destination_city=Jakarta Selatan&province=DKI Jakarta&postal_code=12110",
                   as_=buyer)
    assert resp.status_code == 200
    [shop] = resp.json["shops"]
    assert shop["shop_id"] == seller.shop_id and shop["cheapest"] == shop["options"][0]["code"]
    assert all(o["price_idr"] > 0 and o["etd_days"] >= 1 for o in shop["options"])


def test_checkout_records_the_chosen_courier_at_the_current_price(api, app, market):
    seller, buyer, _ = _cart(api, market)
    options = api.get("/api/v1/shipping/rates?destination_city=Jakarta Selatan&province=DKI Jakarta",
                      as_=buyer).json["shops"][0]["options"]
    best = next(o for o in options if o["code"] == "sicepat:best")
    resp = api.post("/api/v1/checkout", as_=buyer, json={
        "shipping_address": JAKARTA, "shipping_choices": {str(seller.shop_id): "sicepat:best"}})
    assert resp.status_code == 201, resp.json
    [part] = resp.json["seller_orders"]
    assert (part["courier"], part["shipping_service"], part["shipping_idr"]) == ("sicepat", "best", best["price_idr"])
    assert resp.json["shipping_idr"] == best["price_idr"]


def test_a_choice_not_among_the_options_is_refused_and_nothing_is_ordered(api, market):
    seller, buyer, _ = _cart(api, market)
    resp = api.post("/api/v1/checkout", as_=buyer, json={
        "shipping_address": ADDRESS, "shipping_choices": {str(seller.shop_id): "gosend:instant"}})  # no coordinates
    assert resp.status_code == 422 and resp.json["error"]["code"] == "shipping_choice_unavailable"
    assert api.get("/api/v1/orders", as_=buyer).json["items"] == []
    assert api.get("/api/v1/cart", as_=buyer).json["item_count"] == 2
    garbled = api.post("/api/v1/checkout", as_=buyer, json={
        "shipping_address": ADDRESS, "shipping_choices": {"abc": "<b>"}})
    assert garbled.status_code == 422


def test_booking_gives_a_waybill_and_a_label_and_booking_twice_is_409(api, app, market, client):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True})
    assert resp.status_code == 200, resp.json
    assert resp.json["status"] == "shipped" and resp.json["tracking_number"].startswith("SBXJNE")
    assert resp.json["tracking_status"] == "confirmed"
    again = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True})
    assert again.status_code == 409
    both = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller,
                    json={"book_courier": True, "courier": "JNE", "tracking_number": "JNE-1"})
    assert both.status_code == 422
    assert market.types(order["id"]).count("order.shipped") == 1


def test_a_courier_that_fails_twice_is_retried_with_the_same_reference_and_books_once(api, app, market):
    order, seller, _ = _paid(api, app, market)
    sandbox, seen = app.extensions["deps"].shipping_provider, []

    class Flaky(SandboxProvider):
        def book(self, request):
            seen.append(request.reference)
            if len(seen) < 3:
                raise CourierError("Biteship answered 502", transient=True, status=502)
            return Booking(waybill="WB-ONCE", courier=request.courier, service=request.service, provider_ref="bs-1")

    deps.override(app, shipping_provider=Flaky(sandbox.webhook_secret))
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True})
    assert resp.status_code == 200 and resp.json["tracking_number"] == "WB-ONCE"
    assert seen == [f"seller-order-{part_id}"] * 3


def test_a_courier_that_never_answers_is_503_and_nothing_ships(api, app, market):
    order, seller, _ = _paid(api, app, market)

    class Down(SandboxProvider):
        def book(self, request):
            raise CourierError("timeout", transient=True)

    deps.override(app, shipping_provider=Down("x"))
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True})
    assert resp.status_code == 503 and resp.json["error"]["code"] == "courier_unavailable"
    assert api.get("/api/v1/seller/orders", as_=seller).json["items"][0]["status"] == "awaiting_shipment"


def test_the_sandbox_parcel_advances_to_delivered_and_the_order_completes(api, app, market):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    waybill = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True}).json["tracking_number"]
    admin = market.admin
    assert api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=seller, json={}).status_code == 403
    for expected in ("picked_up", "in_transit", "delivered"):
        resp = api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=admin, json={})
        assert resp.status_code == 200 and resp.json["status"] == expected
    assert api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=admin, json={}).status_code == 409
    assert api.post("/api/v1/sandbox/shipments/NOPE123/advance", as_=admin, json={}).status_code == 404
    tracking = api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=buyer).json
    assert [h["status"] for h in tracking["history"]] == ["confirmed", "picked_up", "in_transit", "delivered"]
    assert tracking["waybill"] == waybill and tracking["courier"] == "jne"
    assert api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=seller).status_code == 200
    assert api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=admin).status_code == 200
    assert api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=api.make_user("buyer")).status_code == 404
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["status"] == "completed"
    types = market.types(order["id"])
    assert types.count("shipment.updated") == 4 and types.count("order.delivered") == 1


def test_webhooks_out_of_order_never_move_back_and_a_redelivery_adds_nothing(api, app, market, client, db_session):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    shipped = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True}).json
    waybill = shipped["tracking_number"]
    ref = db_session.scalar(select(SellerOrder.shipment_ref).where(SellerOrder.id == part_id))
    now = utcnow()
    transit = _signed(app, order_id=ref, courier_waybill_id=waybill, status="dropping_off",
                      updated_at=(now + timedelta(hours=5)).isoformat())
    picked = _signed(app, order_id=ref, courier_waybill_id=waybill, status="picked",
                     updated_at=(now + timedelta(hours=1)).isoformat())
    for body, headers in (transit, picked, picked):
        assert client.post("/webhooks/biteship", data=body, headers=headers).status_code == 200
    tracking = api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=buyer).json
    assert tracking["status"] == "in_transit"
    assert [h["status"] for h in tracking["history"]] == ["confirmed", "picked_up", "in_transit"]  # by the courier's time
    assert market.types(order["id"]).count("shipment.updated") == 2  # confirmed, in_transit


def test_a_forged_webhook_is_400_and_changes_nothing(api, app, market, client):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    waybill = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True}).json["tracking_number"]
    body, _ = _signed(app, order_id="whatever", courier_waybill_id=waybill, status="delivered")
    for headers in ({}, {biteship.SIGNATURE_HEADER: "forged"}):
        resp = client.post("/webhooks/biteship", data=body, headers=headers)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_webhook"
    assert api.get(f"/api/v1/seller-orders/{part_id}/tracking", as_=buyer).json["status"] == "confirmed"
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["status"] == "paid"


def test_the_buyer_confirming_first_keeps_one_delivery(api, app, market, client):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    waybill = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True}).json["tracking_number"]
    assert api.post(f"/api/v1/seller-orders/{part_id}/confirm-delivery", as_=buyer).status_code == 200
    resp = api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=market.admin, json={"status": "delivered"})
    assert resp.status_code == 200 and resp.json["status"] == "delivered"
    assert market.types(order["id"]).count("order.delivered") == 1


def test_a_returned_parcel_stays_shipped_and_is_final(api, app, market):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    waybill = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True}).json["tracking_number"]
    resp = api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=market.admin, json={"status": "returned"})
    assert resp.status_code == 200 and resp.json["status"] == "returned"
    assert api.get(f"/api/v1/seller/orders", as_=seller).json["items"][0]["status"] == "shipped"
    again = api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=market.admin, json={"status": "delivered"})
    assert again.status_code == 409


def test_typing_a_tracking_number_by_hand_still_works(api, app, market):
    order, seller, _ = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"courier": "POS", "tracking_number": "POS-777"})
    assert resp.status_code == 200 and resp.json["tracking_number"] == "POS-777"


def test_the_table_provider_cannot_book_nor_advance(api, app, market):
    from marketplace.shipping.providers import TableProvider

    order, seller, _ = _paid(api, app, market)
    deps.override(app, shipping_provider=TableProvider(app.extensions["deps"].settings))
    part_id = order["seller_orders"][0]["id"]
    resp = api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"book_courier": True})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "booking_unsupported"
    assert api.post("/api/v1/sandbox/shipments/X1234/advance", as_=market.admin, json={}).status_code == 404
    body, headers = _signed(app, order_id="x", status="delivered")
    assert api.post("/webhooks/biteship", data=body, headers=headers).status_code == 404
