"""Checkout and orders as a buyer sees them: the address form with the API's rules, shipping per shop
before placing, the order's payment page next, and the order's page with totals and its timeline."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import func, select

from marketplace.orders.models import Order
from marketplace.shipping.rates import load_rates

ADDRESS = {"recipient": "Rina Wulandari", "phone": "0812 3456 7890", "line1": "Jl. Melati No. 3, RT 02/RW 05",
           "city": "Makassar", "province": "Sulawesi Selatan", "postal_code": "90111"}


def text(resp) -> str:
    return unescape(resp.get_data(as_text=True))


def words(html: str) -> str:
    """The page's text as read: tags out, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def fee(zone: str, kg: int) -> int:
    rate = load_rates().for_zone(zone)
    return rate.first_kg_idr + (kg - 1) * rate.additional_kg_idr


def rupiah(amount: int) -> str:
    return "Rp " + f"{amount:,}".replace(",", ".")


@pytest.fixture
def two_shops(market):
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    batik = market.approved_listing(sari, price_idr=350_000, stock=3, weight_grams=400)
    tas = market.approved_listing(budi, title="Tas anyaman pandan", price_idr=120_000, stock=4, weight_grams=700)
    return sari, budi, batik, tas


def fill_cart(client, auth, buyer, *entries):
    auth.login(buyer.email, buyer.password)
    for listing, quantity in entries:
        token = auth.csrf_token(f"/listings/{listing['id']}")
        resp = client.post("/cart/items", data={"listing_id": listing["id"], "quantity": quantity, "csrf_token": token})
        assert resp.status_code == 302, resp.status_code


def post_checkout(client, auth, action: str, **changes):
    token = auth.csrf_token("/checkout")
    return client.post("/checkout", data={**ADDRESS, **changes, "action": action, "csrf_token": token})


def order_count(db_session) -> int:
    db_session.rollback()
    return db_session.scalar(select(func.count()).select_from(Order))


def test_the_checkout_page_has_the_address_form_with_the_38_provinces(client, auth, buyer, two_shops):
    fill_cart(client, auth, buyer, (two_shops[2], 1))
    page = text(client.get("/checkout"))
    assert 'name="recipient"' in page and 'value="Buyer' in page  # the buyer's name, to change if need be
    provinces = re.search(r'<select[^>]*name="province"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert provinces.count("<option") == 39 and "Papua Pegunungan" in provinces  # 38 and "Pilih provinsi"
    assert "Hitung ongkos kirim" in page and "Buat pesanan" not in page  # shipping first, then the order
    assert "Kain batik tulis Ciputat" in page


def test_a_bad_postal_code_is_422_on_the_page_and_no_order_is_made(client, auth, buyer, two_shops, db_session):
    fill_cart(client, auth, buyer, (two_shops[2], 1))
    resp = post_checkout(client, auth, "place", postal_code="9011")
    assert resp.status_code == 422
    page = text(resp)
    assert "Isi kode pos 5 angka." in page and 'value="Rina Wulandari"' in page  # what was typed stays
    resp = post_checkout(client, auth, "quote", phone="12345", province="Atlantis")
    assert resp.status_code == 422
    assert "Isi nomor telepon Indonesia" in text(resp) and "Pilih salah satu dari 38 provinsi" in text(resp)
    assert order_count(db_session) == 0
    assert "Kain batik tulis Ciputat" in text(client.get("/cart"))


def test_shipping_per_shop_then_the_order_then_its_page(client, auth, buyer, two_shops, db_session):
    sari, budi, batik, tas = two_shops
    fill_cart(client, auth, buyer, (batik, 2), (tas, 1))
    resp = post_checkout(client, auth, "quote")
    assert resp.status_code == 200
    page = text(resp)
    shipping = fee("outside_java", 1)
    assert words(page).count(f"Ongkos kirim (Luar Jawa): {rupiah(shipping)}") == 2  # one parcel per shop
    total = 820_000 + 2 * shipping
    assert re.search(rf'id="checkout-total">{re.escape(rupiah(total))}<', page)
    assert "Buat pesanan" in page
    assert order_count(db_session) == 0  # calculating changes nothing

    resp = post_checkout(client, auth, "place")
    assert resp.status_code == 302
    order_id = int(re.fullmatch(r"/orders/(\d+)/pay", resp.headers["Location"]).group(1))
    assert order_count(db_session) == 1

    page = text(client.get(f"/orders/{order_id}"))
    assert f"Pesanan #{order_id}" in page and "Menunggu pembayaran" in page
    assert f'href="/orders/{order_id}/pay"' in page and "Bayar sekarang" in page
    assert f"Toko {sari.id}" in page and f"Toko {budi.id}" in page and "Tas anyaman pandan" in page
    assert rupiah(700_000) in page and rupiah(total) in page and "Makassar, Sulawesi Selatan 90111" in page
    timeline = re.search(r'class="card timeline".*?</section>', page, re.S).group(0)
    assert "Pesanan dibuat" in timeline and "WIB" in timeline

    listing_page = text(client.get("/orders"))
    assert f"Pesanan #{order_id}" in listing_page and rupiah(total) in listing_page and "2 toko" in listing_page
    assert "Keranjang Anda kosong." in text(client.get("/cart"))
    assert client.get("/checkout").status_code == 302  # nothing left to check out: back to the cart


def test_a_cart_problem_is_409_on_the_checkout_page_and_nothing_changes(client, auth, api, buyer, two_shops, db_session):
    sari, _budi, batik, tas = two_shops
    fill_cart(client, auth, buyer, (batik, 2), (tas, 1))
    api.patch(f"/api/v1/listings/{batik['id']}", as_=sari, json={"stock": 1})
    resp = post_checkout(client, auth, "place")
    assert resp.status_code == 409
    page = text(resp)
    assert "Beberapa produk di keranjang Anda tidak dapat dibeli seperti ini; periksa keranjang Anda." in page
    assert "Tinggal 1." in page and "Kembali ke keranjang" in page
    assert order_count(db_session) == 0
    assert api.get(f"/api/v1/listings/{tas['id']}").json["stock"] == 4


def test_someone_elses_order_is_404_and_the_pages_are_for_buyers(client, auth, api, buyer, two_shops, market):
    fill_cart(client, auth, buyer, (two_shops[2], 1))
    order_id = int(post_checkout(client, auth, "place").headers["Location"].split("/")[2])
    auth.logout()
    assert client.get("/checkout").headers["Location"].startswith("/login?next=/checkout")
    assert client.get(f"/orders/{order_id}").status_code == 302
    stranger = api.make_user("buyer")
    auth.login(stranger.email, stranger.password)
    assert client.get(f"/orders/{order_id}").status_code == 404
    assert f"Pesanan #{order_id}" not in text(client.get("/orders"))
    auth.logout()
    artisan = two_shops[0]
    auth.login(artisan.email, artisan.password)
    for path in ("/checkout", "/orders", f"/orders/{order_id}", "/cart"):
        assert client.get(path).status_code == 403, path
