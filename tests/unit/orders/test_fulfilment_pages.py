"""The artisan's orders page and the admins' order search, as the people using them see them."""

from __future__ import annotations


from tests.unit.orders.test_api import ADDRESS
from tests.unit.orders.test_fulfilment_api import _order


def _csrf(auth, path):
    return auth.csrf_token(path)


def test_artisan_sees_the_paid_order_and_ships_it(client, auth, api, app, market):
    order, seller, buyer, listing = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    auth.login(seller.email, seller.password)
    page = client.get("/seller/orders").get_data(as_text=True)
    assert f"#{order['id']}" in page and "Perlu dikirim" in page and "Makassar" in page
    assert "Kirim paling lambat" in page
    token = _csrf(auth, "/seller/orders")
    bad = client.post(f"/seller/orders/{part_id}/ship", data={"csrf_token": token, "courier": "JNE", "tracking_number": "#"})
    assert bad.status_code == 422 and "Gunakan 4 sampai 64 huruf" in bad.get_data(as_text=True)
    resp = client.post(f"/seller/orders/{part_id}/ship",
                       data={"csrf_token": token, "courier": "JNE", "tracking_number": "JNE-777"})
    assert resp.status_code == 302
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "JNE-777" in page and "Dikirim" in page
    again = client.post(f"/seller/orders/{part_id}/ship", data={"csrf_token": token, "courier": "JNE", "tracking_number": "JNE-778"})
    assert again.status_code == 409
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["seller_orders"][0]["tracking_number"] == "JNE-777"


def test_artisan_cancels_before_shipping(client, auth, api, app, market):
    order, seller, _, listing = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    auth.login(seller.email, seller.password)
    token = _csrf(auth, "/seller/orders")
    assert client.post(f"/seller/orders/{part_id}/cancel", data={"csrf_token": token, "reason": ""}).status_code == 422
    resp = client.post(f"/seller/orders/{part_id}/cancel", data={"csrf_token": token, "reason": "Bahan habis"})
    assert resp.status_code == 302
    assert api.get(f"/api/v1/listings/{listing['id']}").json["stock"] == 4
    assert "Bahan habis" in client.get("/seller/orders").get_data(as_text=True)


def test_forms_without_csrf_change_nothing(client, auth, api, app, market):
    order, seller, buyer, _ = _order(api, app, market)
    auth.login(seller.email, seller.password)
    part_id = order["seller_orders"][0]["id"]
    resp = client.post(f"/seller/orders/{part_id}/ship", data={"courier": "JNE", "tracking_number": "JNE-1"})
    assert resp.status_code == 400
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["seller_orders"][0]["status"] == "awaiting_shipment"


def test_admin_searches_orders(client, auth, api, app, market):
    paid, _, buyer, _ = _order(api, app, market)
    unpaid, _, _, _ = _order(api, app, market, paid=False)
    admin = market.admin
    auth.login(admin.email, admin.password)
    page = client.get("/admin/orders?status=paid").get_data(as_text=True)
    assert f'id="order-{paid["id"]}"' in page and f'id="order-{unpaid["id"]}"' not in page
    page = client.get(f"/admin/orders?q={paid['id']}").get_data(as_text=True)
    assert f'id="order-{paid["id"]}"' in page and "Dibayar" in page
    assert client.get("/admin/orders?status=lost").status_code == 400
    # a card or phone number typed into the box is no order number: a search, not a database error
    for q in ("4242424242424242", "#99999999999999999999", "#²"):
        resp = client.get("/admin/orders", query_string={"q": q})
        assert resp.status_code == 200 and f'id="order-{paid["id"]}"' not in resp.get_data(as_text=True)


def test_a_percent_or_underscore_typed_in_the_admin_search_is_that_character_not_a_wildcard(
        client, auth, api, app, market):
    """Issue #30: "%" matched every order and "_" any one character."""
    paid, _, _, _ = _order(api, app, market)
    auth.login(market.admin.email, market.admin.password)
    for q in ("%", "_", "%%", "a_i"):
        resp = client.get("/admin/orders", query_string={"q": q})
        assert resp.status_code == 200 and f'id="order-{paid["id"]}"' not in resp.get_data(as_text=True), q
    found = api.get("/api/v1/admin/orders?q=%25", as_=market.admin).json["items"]
    assert found == []
    typed = ADDRESS["recipient"][:3]  # a plain search still finds by the recipient's name
    assert paid["id"] in [o["id"] for o in api.get(f"/api/v1/admin/orders?q={typed}", as_=market.admin).json["items"]]


def test_who_may_open_these_pages(client, auth, api, app, market):
    buyer = api.make_user("buyer")
    assert client.get("/seller/orders").status_code == 302
    auth.login(buyer.email, buyer.password)
    assert client.get("/seller/orders").status_code == 403
    assert client.get("/admin/orders").status_code == 403


def test_buyer_confirms_a_shipped_parcel_from_the_order_page(client, auth, api, app, market):
    order, seller, buyer, _ = _order(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    auth.login(buyer.email, buyer.password)
    page = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "Paket ini sudah saya terima" not in page  # not shipped yet
    api.post(f"/api/v1/seller/orders/{part_id}/ship", as_=seller, json={"courier": "JNE", "tracking_number": "JNE-4242"})
    page = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert "JNE-4242" in page and "Paket ini sudah saya terima" in page
    token = auth.csrf_token(f"/orders/{order['id']}")
    resp = client.post(f"/seller-orders/{part_id}/received", data={"csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"].endswith(f"/orders/{order['id']}")
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["status"] == "completed"
    assert client.post(f"/seller-orders/{part_id}/received", data={"csrf_token": token}).status_code == 409
