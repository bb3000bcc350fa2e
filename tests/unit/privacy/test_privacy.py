"""A user's own data (§9): download everything we hold, close the account — refused while something is
open, then the person erased and the books kept; a shop sees a buyer's address only until 30 days after
delivery."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import update

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.ledger.check import check
from marketplace.orders import services as orders
from marketplace.orders.models import Order, SellerOrder
from tests.conftest import PageAuth
from tests.unit.orders.test_api import ADDRESS


def _order(api, app, market, seller, buyer, *, deliver: bool):
    listing = market.approved_listing(seller, stock=4, price_idr=200_000)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, order["id"], now=utcnow(), commission_bps=1000)
    part = order["seller_orders"][0]
    if deliver:
        assert api.post(f"/api/v1/seller/orders/{part['id']}/ship", as_=seller,
                        json={"courier": "JNE", "tracking_number": "JNE-1"}).status_code == 200
        assert api.post(f"/api/v1/seller-orders/{part['id']}/confirm-delivery", as_=buyer).status_code == 200
    return order, part


def test_the_export_holds_the_users_orders_shop_and_sessions_but_no_secret(api, app, client, market):
    seller = market.seller()
    buyer = api.make_user("buyer")
    order, _part = _order(api, app, market, seller, buyer, deliver=False)
    assert api.get("/api/v1/me/export").status_code == 401
    data = api.get("/api/v1/me/export", as_=buyer).json
    assert data["user"]["email"] == buyer.email
    [exported] = data["orders"]
    assert exported["id"] == order["id"] and exported["shipping_address"]["line1"] == ADDRESS["line1"]
    assert data["api_tokens"] and "token_hash" not in json.dumps(data) and buyer.token not in json.dumps(data)
    mine = api.get("/api/v1/me/export", as_=seller).json
    assert mine["shop"]["id"] == seller.shop_id and len(mine["shop"]["listings"]) == 1
    assert mine["orders"] == []  # the shop's sales are the buyer's orders, not the artisan's


def test_closing_is_refused_while_an_order_is_open_and_needs_the_password(api, app, market):
    seller = market.seller()
    buyer = api.make_user("buyer")
    _order(api, app, market, seller, buyer, deliver=False)
    wrong = api.delete("/api/v1/me", as_=buyer, json={"password": "not it"})
    assert wrong.status_code == 422 and "password" in wrong.json["error"]["fields"]
    assert api.delete("/api/v1/me", as_=buyer, json={}).status_code == 422
    for user in (buyer, seller):
        resp = api.delete("/api/v1/me", as_=user, json={"password": user.password})
        assert resp.status_code == 409 and resp.json["error"]["code"] == "account_in_use"
    assert "not delivered" in api.delete("/api/v1/me", as_=buyer, json={"password": buyer.password}).json["error"]["message"]
    admin = market.admin
    assert api.delete("/api/v1/me", as_=admin, json={"password": admin.password}).status_code == 409
    assert api.get("/api/v1/me", as_=buyer).status_code == 200  # nothing changed


def test_a_closed_account_is_erased_and_locked_out_and_the_books_still_balance(api, app, market, db_session):
    seller = market.seller()
    buyer = api.make_user("buyer")
    order, _part = _order(api, app, market, seller, buyer, deliver=True)
    resp = api.delete("/api/v1/me", as_=buyer, json={"password": buyer.password})
    assert resp.status_code == 200 and resp.json == {"status": "closed"}
    assert api.get("/api/v1/me", as_=buyer).status_code == 401  # the token is gone
    login = api.client.post("/api/v1/auth/token", json={"email": buyer.email, "password": buyer.password})
    assert login.status_code == 401
    db_session.rollback()
    user = db_session.get(User, buyer.id)
    assert buyer.email not in user.email and user.name == "Pengguna terhapus" and not user.is_active
    kept = db_session.get(Order, order["id"])
    assert (kept.recipient, kept.phone, kept.line1) == ("Pengguna terhapus", "", "")
    assert (kept.city, kept.total_idr) == (ADDRESS["city"], order["total_idr"])  # the figures and books keep it
    assert check(db_session) == []


def test_a_closed_artisans_shop_and_products_leave_the_storefront(api, app, client, market):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Keramik Plered")
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 200
    assert api.delete("/api/v1/me", as_=seller, json={"password": seller.password}).status_code == 200
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404
    assert "Keramik Plered" not in client.get("/search?q=keramik").get_data(as_text=True)


def test_the_data_page_downloads_and_closes_with_the_password(app, api, market):
    buyer = api.make_user("buyer")
    client = app.test_client()
    auth = PageAuth(client)
    auth.login(buyer.email, buyer.password)
    page = client.get("/account/data")
    assert page.status_code == 200 and "Tutup akun saya" in page.get_data(as_text=True)
    download = client.get("/account/data/export.json")
    assert download.headers["Content-Disposition"].startswith("attachment")
    assert json.loads(download.data)["user"]["email"] == buyer.email
    token = auth.csrf_token("/account/data")
    wrong = client.post("/account/data", data={"csrf_token": token, "password": "salah"})
    assert wrong.status_code == 422 and "Kata sandi salah." in wrong.get_data(as_text=True)
    closed = client.post("/account/data", data={"csrf_token": token, "password": buyer.password},
                         follow_redirects=True)
    assert closed.status_code == 200 and "Akun Anda sudah ditutup" in closed.get_data(as_text=True)
    assert client.get("/account").status_code == 302  # logged out


def test_the_data_page_says_why_an_account_cannot_be_closed_yet(app, api, market):
    seller = market.seller()
    buyer = api.make_user("buyer")
    _order(api, app, market, seller, buyer, deliver=False)
    client = app.test_client()
    PageAuth(client).login(seller.email, seller.password)
    html = client.get("/account/data").get_data(as_text=True)
    assert "Toko Anda masih punya pesanan yang harus dikirim" in html and "Tutup akun saya" not in html


def test_the_shop_sees_the_buyers_address_until_30_days_after_delivery(api, app, market, db_session):
    seller = market.seller()
    buyer = api.make_user("buyer")
    _placed, part = _order(api, app, market, seller, buyer, deliver=True)

    def seen():
        [item] = api.get("/api/v1/seller/orders?status=delivered", as_=seller).json["items"]
        return item

    assert seen()["shipping_address"]["line1"] == ADDRESS["line1"]
    for days, visible in ((29, True), (31, False)):
        db_session.execute(update(SellerOrder).where(SellerOrder.id == part["id"])
                           .values(delivered_at=utcnow() - timedelta(days=days)))
        db_session.commit()
        item = seen()
        assert (item["shipping_address"]["line1"] == ADDRESS["line1"]) is visible
        assert (item["buyer_name"] is not None) is visible
        assert item["shipping_address"]["city"] == ADDRESS["city"]


def test_event_registrations_are_exported_and_a_closed_accounts_seat_goes_to_the_next_in_line(api, market):
    from tests.unit.programme.helpers import create_event

    event = create_event(api, market.admin, capacity=1)
    first, second = api.make_user("buyer"), api.make_user("buyer")
    code = api.post(f"/api/v1/events/{event['id']}/registrations", as_=first).json["code"]
    assert api.post(f"/api/v1/events/{event['id']}/registrations", as_=second).json["status"] == "waitlisted"
    exported = api.get("/api/v1/me/export", as_=first).json["event_registrations"]
    assert [(r["event_id"], r["status"], r["code"]) for r in exported] == [(event["id"], "registered", code)]

    assert api.delete("/api/v1/me", as_=first, json={"password": first.password}).status_code == 200
    assert [r["status"] for r in api.get("/api/v1/me/registrations", as_=second).json["items"]] == ["registered"]
    assert api.get(f"/api/v1/events/{event['id']}").json["seats_left"] == 0
