"""A suspended shop's artisan still fulfils the orders already placed (page and API), is paid out for
them as usual, and sees why on every page; every other change is a 403 that changes nothing."""

from __future__ import annotations

from sqlalchemy import func, select

from marketplace.listings.models import Listing
from tests.unit.listings.helpers import listing_body
from tests.unit.orders.test_api import ADDRESS
from tests.unit.payouts.test_api import _worker_pays, provider  # noqa: F401

BANNER = "Toko Anda ditangguhkan."


def _paid_order(api, app, listing):
    from marketplace.db import utcnow
    from marketplace.orders import services as orders

    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    with app.extensions["db"].transaction() as session:
        orders.mark_paid(session, order["id"], now=utcnow(), commission_bps=1000)
    return order["seller_orders"][0], buyer


def _listings(db, shop_id: int) -> int:
    db.rollback()
    return db.scalar(select(func.count(Listing.id)).where(Listing.shop_id == shop_id))


def test_a_suspended_artisan_ships_cancels_and_is_paid_out_but_changes_nothing_else(
        api, app, auth, client, market, db_session, provider):  # noqa: F811
    seller = market.seller()
    assert api.post("/api/v1/seller/payout-account", as_=seller, json={}).status_code == 200
    listing = market.approved_listing(seller, stock=5, price_idr=200_000)
    to_ship, buyer = _paid_order(api, app, listing)
    to_cancel, _ = _paid_order(api, app, listing)
    assert api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=market.admin,
                    json={"reason": "Laporan produk palsu"}).status_code == 200

    # the suspension ended the old token once; logging in again works (to fulfil the open orders)
    assert api.get("/api/v1/me", as_=seller).status_code == 401
    login = api.post("/api/v1/auth/token", json={"email": seller.email, "password": seller.password})
    assert login.status_code == 200
    seller.token = login.json["access_token"]
    assert auth.login(seller.email, seller.password).status_code == 302

    # the orders page says why, and still ships
    page = client.get("/seller/orders").get_data(as_text=True)
    assert BANNER in page and "Laporan produk palsu" in page and f"#{to_ship['order_id']}" in page
    token = auth.csrf_token("/seller/orders")
    shipped = client.post(f"/seller/orders/{to_ship['id']}/ship",
                          data={"csrf_token": token, "courier": "JNE", "tracking_number": "JNE-777"})
    assert shipped.status_code == 302
    # …and the API cancels the other one
    cancelled = api.post(f"/api/v1/seller/orders/{to_cancel['id']}/cancel", as_=seller, json={"reason": "Bahan habis"})
    assert cancelled.status_code == 200, cancelled.json

    # the buyer gets it; the artisan is paid out by the usual flow
    assert api.post(f"/api/v1/seller-orders/{to_ship['id']}/confirm-delivery", as_=buyer).status_code == 200
    _worker_pays(app, provider, to_ship["id"])
    payouts = api.get("/api/v1/seller/payouts", as_=seller).json
    assert [p["status"] for p in payouts["items"]] == ["paid"] and len(provider.recorded_transfers()) == 1

    # everything else is refused, through the API and the pages, and changes nothing
    before = _listings(db_session, seller.shop_id)
    for method, path, body in [
        ("post", "/api/v1/listings", listing_body(title="Produk baru")),
        ("patch", f"/api/v1/listings/{listing['id']}", {"title": "Judul lain"}),
        ("patch", "/api/v1/shops/me", {"name": "Toko lain"}),
        ("post", "/api/v1/seller/payout-account", {}),
    ]:
        resp = getattr(api, method)(path, as_=seller, json=body)
        assert resp.status_code == 403 and resp.json["error"]["code"] == "shop_suspended", (path, resp.json)
    csrf = auth.csrf_token("/seller/orders")
    for path, data in [("/seller/listings/new", listing_body(title="Produk baru")),
                       ("/seller/shop/edit", {"name": "Toko lain", "city": "Tangerang Selatan", "kelurahan": "Cipayung"})]:
        resp = client.post(path, data={**data, "csrf_token": csrf})
        assert resp.status_code == 403 and "ditangguhkan" in resp.get_data(as_text=True), path
    assert _listings(db_session, seller.shop_id) == before
    assert api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json["title"] == listing["title"]
    assert BANNER in client.get("/seller").get_data(as_text=True)

    # reinstated: the limits and the banner are gone
    assert api.post(f"/api/v1/admin/shops/{seller.shop_id}/reinstate", as_=market.admin).status_code == 200
    assert api.post("/api/v1/listings", as_=seller, json=listing_body(title="Produk baru")).status_code == 201
    assert BANNER not in client.get("/seller/orders").get_data(as_text=True)


def test_other_artisans_and_buyers_are_untouched_by_a_suspension(api, auth, client, market):
    suspended, other = market.seller(), market.seller()
    api.post(f"/api/v1/admin/shops/{suspended.shop_id}/suspend", as_=market.admin, json={"reason": "Diperiksa"})
    assert api.post("/api/v1/listings", as_=other, json=listing_body()).status_code == 201
    auth.login(other.email, other.password)
    assert BANNER not in client.get("/seller").get_data(as_text=True)
