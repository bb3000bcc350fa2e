"""Couriers on the pages, on the sandbox provider: the shop's pickup address, the buyer's courier per shop at
checkout, the artisan's booking button and printable label, and the tracking shown to buyer and artisan."""

from __future__ import annotations

import re

import pytest

from tests.unit.shipping.test_couriers_api import JAKARTA, _paid


@pytest.fixture
def settings(settings):
    return settings.with_overrides(shipping_provider="sandbox")


def test_the_shop_form_keeps_a_pickup_address_and_refuses_half_coordinates(client, auth, api, db_session):
    artisan = api.make_user("artisan")
    auth.login(artisan.email, artisan.password)
    page = client.get("/seller/shop/new").get_data(as_text=True)
    assert "Kode pos penjemputan" in page and "Penjemputan kurir" in page
    form = {"name": "Batik Bu Sari", "description": "", "city": "Bekasi", "kelurahan": "Jatiasih",
            "pickup_address": "Jl. Melati 3", "pickup_postal_code": "17510", "pickup_latitude": "-6.25",
            "pickup_longitude": ""}
    token = auth.csrf_token("/seller/shop/new")
    half = client.post("/seller/shop/new", data={**form, "csrf_token": token})
    assert half.status_code == 422 and "Isi lintang dan bujur sekaligus" in half.get_data(as_text=True)
    bad = client.post("/seller/shop/new", data={**form, "pickup_longitude": "107.0", "pickup_postal_code": "12",
                                                "csrf_token": token})
    assert bad.status_code == 422 and "kode pos" in bad.get_data(as_text=True).lower()
    ok = client.post("/seller/shop/new", data={**form, "pickup_longitude": "107.0", "csrf_token": token})
    assert ok.status_code == 302
    edit = client.get("/seller/shop/edit").get_data(as_text=True)
    assert 'value="17510"' in edit and 'value="-6.25"' in edit


def test_the_buyer_picks_a_courier_per_shop_on_the_checkout_page(client, auth, api, market, db_session):
    seller = market.seller()
    listing = market.approved_listing(seller, stock=3)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1})
    auth.login(buyer.email, buyer.password)
    token = auth.csrf_token("/checkout")
    address = {k: v for k, v in JAKARTA.items()}
    page = client.post("/checkout", data={**address, "action": "quote", "csrf_token": token}).get_data(as_text=True)
    assert "Kurir untuk toko ini" in page and f'name="ship_{seller.shop_id}"' in page
    assert re.search(rf'name="ship_{seller.shop_id}" value="jne:yes"', page) and "SiCepat" in page
    refused = client.post("/checkout", data={**address, "action": "place", "csrf_token": token,
                                             f"ship_{seller.shop_id}": "gosend:instant"})
    assert refused.status_code == 422 and "Pilihan pengiriman ini tidak tersedia" in refused.get_data(as_text=True)
    placed = client.post("/checkout", data={**address, "action": "place", "csrf_token": token,
                                            f"ship_{seller.shop_id}": "jne:yes"})
    assert placed.status_code == 302
    [order] = api.get("/api/v1/orders", as_=buyer).json["items"]
    assert (order["seller_orders"][0]["courier"], order["seller_orders"][0]["shipping_service"]) == ("jne", "yes")


def test_the_artisan_books_prints_the_label_and_both_follow_the_parcel(client, auth, api, app, market):
    order, seller, buyer = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    auth.login(seller.email, seller.password)
    page = client.get("/seller/orders").get_data(as_text=True)
    assert "Kurir pilihan pembeli" in page and f'id="book-{part_id}"' in page
    assert client.get(f"/seller/orders/{part_id}/label").status_code == 404  # nothing booked yet
    token = auth.csrf_token("/seller/orders")
    assert client.post(f"/seller/orders/{part_id}/book", data={}).status_code == 400  # no CSRF token
    resp = client.post(f"/seller/orders/{part_id}/book", data={"csrf_token": token})
    assert resp.status_code == 302
    page = client.get("/seller/orders").get_data(as_text=True)
    waybill = re.search(r"SBXJNE\d{12}", page).group(0)
    assert "Cetak label" in page and "Penjemputan dipesan" in page
    label = client.get(f"/seller/orders/{part_id}/label").get_data(as_text=True)
    assert waybill in label and "Rina Wulandari" in label and "Rp" not in label  # the items, no prices
    twice = client.post(f"/seller/orders/{part_id}/book", data={"csrf_token": token}, follow_redirects=True)
    assert "Hanya pesanan yang menunggu pengiriman" in twice.get_data(as_text=True)
    api.post(f"/api/v1/sandbox/shipments/{waybill}/advance", as_=market.admin, json={})
    assert "Diambil kurir" in client.get("/seller/orders").get_data(as_text=True)
    auth.logout()
    auth.login(buyer.email, buyer.password)
    mine = client.get(f"/orders/{order['id']}").get_data(as_text=True)
    assert waybill in mine and "Diambil kurir" in mine and "Penjemputan dipesan" in mine


def test_another_artisan_cannot_book_or_print(client, auth, api, app, market):
    order, _, _ = _paid(api, app, market)
    part_id = order["seller_orders"][0]["id"]
    other = market.seller(kelurahan="Pamulang Barat")
    auth.login(other.email, other.password)
    token = auth.csrf_token("/seller/orders")
    client.post(f"/seller/orders/{part_id}/book", data={"csrf_token": token})
    assert client.get(f"/seller/orders/{part_id}/label").status_code == 404
    assert market.types(order["id"]).count("order.shipped") == 0


def test_the_listing_page_shows_the_cheapest_and_fastest_courier(client, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    page = client.get(f"/listings/{listing['id']}?ship_city=Medan&ship_province=Sumatera+Utara").get_data(as_text=True)
    assert 'id="courier-options"' in page and "Termurah" in page and "Tercepat" in page
