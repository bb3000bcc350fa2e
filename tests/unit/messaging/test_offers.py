"""Custom offers: the artisan offers, only the conversation's buyer sees and buys it through the normal cart
and checkout; it is never in search, sitemaps, feeds, share kits or on the shop page; it expires."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import update

from marketplace.db import utcnow
from marketplace.messaging.models import CustomOffer
from marketplace.orders import services as orders
from tests.unit.orders.test_api import ADDRESS

OFFER = {"title": "Kemeja batik XL hijau", "description": "Dijahit khusus, kain tulis.", "price_idr": 475_000,
         "quantity": 2, "processing_days": 10}


@pytest.fixture
def talk(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    buyer = api.make_user("buyer")
    conversation = api.post("/api/v1/conversations", as_=buyer, json={
        "shop_id": seller.shop_id, "listing_id": listing["id"], "text": "Ada ukuran XL warna hijau?"}).json
    return seller, buyer, conversation["id"]


def _offer(api, seller, conversation_id, **overrides):
    return api.post(f"/api/v1/conversations/{conversation_id}/offers", as_=seller, json={**OFFER, **overrides})


def test_the_buyer_sees_the_offer_in_the_chat_and_buys_it_through_cart_and_checkout(api, app, market, talk):
    seller, buyer, conversation_id = talk
    resp = _offer(api, seller, conversation_id)
    assert resp.status_code == 201, resp.json
    offer = resp.json
    assert (offer["price_idr"], offer["quantity"], offer["status"]) == (475_000, 2, "open")
    thread = api.get(f"/api/v1/conversations/{conversation_id}/messages", as_=buyer).json
    assert thread["items"][-1]["offer"]["id"] == offer["id"] and thread["unread"] == 1
    assert [e["data"]["offer_id"] for e in market.events("offer.sent")] == [offer["id"]]

    accepted = api.post(f"/api/v1/offers/{offer['id']}/accept", as_=buyer)
    assert accepted.status_code == 200 and accepted.json["status"] == "accepted"
    cart = api.get("/api/v1/cart", as_=buyer).json
    lines = [line for group in cart["shops"] for line in group["items"]]
    assert [(line["listing_id"], line["quantity"], line["problems"]) for line in lines] == [
        (offer["listing_id"], 2, [])]
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert order.status_code == 201, order.json
    assert order.json["subtotal_idr"] == 950_000
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, order.json["id"], now=utcnow())
    todo = api.get("/api/v1/seller/orders", as_=seller).json["items"]
    assert [(i["title"], i["quantity"]) for i in todo[0]["items"]] == [("Kemeja batik XL hijau", 2)]
    again = api.post(f"/api/v1/offers/{offer['id']}/accept", as_=buyer)
    assert again.status_code == 422 and again.json["error"]["code"] == "offer_sold"


def test_an_offer_is_nowhere_public(api, client, market, talk):
    seller, buyer, conversation_id = talk
    offer = _offer(api, seller, conversation_id).json
    listing_id = offer["listing_id"]
    stranger = api.make_user("buyer")
    found = api.get("/api/v1/listings?q=Kemeja").json
    assert listing_id not in [item["id"] for item in found["items"]]
    assert "Kemeja batik XL hijau" not in client.get("/search?q=Kemeja").get_data(as_text=True)
    assert f"/listings/{listing_id}<" not in client.get("/sitemaps/listings-1.xml").get_data(as_text=True)
    assert "Kemeja batik XL hijau" not in client.get("/feeds/listings.rss").get_data(as_text=True)
    assert "Kemeja batik XL hijau" not in client.get("/feeds/listings.atom").get_data(as_text=True)
    assert "Kemeja batik XL hijau" not in client.get("/").get_data(as_text=True)
    shop = api.get(f"/api/v1/shops/{seller.shop_id}").json
    assert "Kemeja batik XL hijau" not in str(shop)
    for who in (None, stranger):
        assert api.get(f"/api/v1/listings/{listing_id}", as_=who).status_code == 404
        assert client.get(f"/listings/{listing_id}").status_code == 404
    kit = api.post(f"/api/v1/seller/listings/{listing_id}/share-kit", as_=seller, json={})
    assert 400 <= kit.status_code < 500
    # nobody but its buyer can put it in a cart
    assert api.post("/api/v1/cart/items", as_=stranger, json={"listing_id": listing_id, "quantity": 1}).status_code == 404
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", as_=stranger).status_code == 404
    assert api.get("/api/v1/cart", as_=stranger).json["shops"] == []


def test_bad_offers_and_bad_accepts_are_clear_4xx(api, market, db_session, talk):
    seller, buyer, conversation_id = talk
    for body, field in (({"price_idr": -1000}, "price_idr"), ({"price_idr": 0}, "price_idr"),
                        ({"quantity": 0}, "quantity"), ({"title": ""}, "title"),
                        ({"processing_days": -1}, "processing_days"), ({"price_idr": "475000"}, "price_idr")):
        resp = _offer(api, seller, conversation_id, **body)
        assert resp.status_code == 422 and field in resp.json["error"]["fields"], (body, resp.json)
    by_buyer = api.post(f"/api/v1/conversations/{conversation_id}/offers", as_=buyer, json=OFFER)
    assert by_buyer.status_code == 403
    other_artisan = market.seller(kelurahan="Pamulang Barat")
    assert _offer(api, other_artisan, conversation_id).status_code == 404
    assert market.events("offer.sent") == []

    offer = _offer(api, seller, conversation_id).json
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", as_=seller).status_code == 403
    db_session.execute(update(CustomOffer).where(CustomOffer.id == offer["id"])
                       .values(expires_at=utcnow() - timedelta(minutes=1)))
    db_session.commit()
    expired = api.post(f"/api/v1/offers/{offer['id']}/accept", as_=buyer)
    assert expired.status_code == 422 and expired.json["error"]["code"] == "offer_expired"
    assert api.get("/api/v1/cart", as_=buyer).json["shops"] == []


def test_an_offer_that_expires_in_the_cart_cannot_be_checked_out(api, db_session, talk):
    seller, buyer, conversation_id = talk
    offer = _offer(api, seller, conversation_id).json
    assert api.post(f"/api/v1/offers/{offer['id']}/accept", as_=buyer).status_code == 200
    db_session.execute(update(CustomOffer).where(CustomOffer.id == offer["id"])
                       .values(expires_at=utcnow() - timedelta(seconds=1)))
    db_session.commit()
    lines = [line for g in api.get("/api/v1/cart", as_=buyer).json["shops"] for line in g["items"]]
    assert lines[0]["problems"] == ["unavailable"]
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert 400 <= resp.status_code < 500


def test_an_offer_cannot_be_edited_submitted_or_withdrawn_as_a_listing(api, market, talk):
    seller, buyer, conversation_id = talk
    listing_id = _offer(api, seller, conversation_id).json["listing_id"]
    for method, path, body in (("patch", f"/api/v1/listings/{listing_id}", {"title": "Jadi publik"}),
                               ("post", f"/api/v1/listings/{listing_id}/submit", {}),
                               ("post", f"/api/v1/listings/{listing_id}/withdraw", {})):
        resp = getattr(api, method)(path, as_=seller, json=body)
        assert resp.status_code == 409 and resp.json["error"]["code"] == "custom_offer", path
    assert listing_id not in [item["id"] for item in api.get("/api/v1/seller/listings", as_=seller).json["items"]]
    assert market.events("listing.submitted", key=listing_id) == []
