"""The cart as a visitor and a buyer see it: add from the listing page, count in the header, problems
in words, change and remove, and a visitor's cart that survives logging in."""

from __future__ import annotations

import re
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.cart.models import CartItem


def text(resp) -> str:
    return unescape(resp.get_data(as_text=True))


def add(client, auth, listing_id: int, quantity: int = 1):
    token = auth.csrf_token(f"/listings/{listing_id}")
    return client.post("/cart/items", data={"listing_id": listing_id, "quantity": quantity, "csrf_token": token})


def header_count(client) -> int:
    match = re.search(r'class="cart-count">([\d.]+)<', client.get("/").get_data(as_text=True))
    assert match, "no cart link in the header"
    return int(match.group(1).replace(".", ""))


def test_the_listing_page_offers_add_to_cart_up_to_the_stock_or_says_sold_out(client, market):
    seller = market.seller()
    batik = market.approved_listing(seller, stock=3)
    gone = market.approved_listing(seller, title="Topi anyaman", stock=1)
    market.api.patch(f"/api/v1/listings/{gone['id']}", as_=seller, json={"stock": 0})
    page = text(client.get(f"/listings/{batik['id']}"))
    assert "Tambah ke keranjang" in page and 'max="3"' in page and 'name="quantity"' in page
    page = text(client.get(f"/listings/{gone['id']}"))
    assert "Habis" in page and "Tambah ke keranjang" not in page


def test_artisans_and_admins_see_no_cart_and_get_403(client, auth, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    for who in (seller, market.admin):
        auth.login(who.email, who.password)
        page = text(client.get(f"/listings/{listing['id']}"))
        assert "Tambah ke keranjang" not in page and 'class="cart-link"' not in page
        assert client.get("/cart").status_code == 403
        assert add(client, auth, listing["id"]).status_code == 403
        auth.logout()


def test_a_visitors_cart_is_merged_into_the_account_at_login(client, auth, market, buyer, db_session):
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    batik = market.approved_listing(sari, price_idr=350_000, stock=3)
    mug = market.approved_listing(budi, title="Mug keramik biru", price_idr=75_000, stock=10)
    resp = add(client, auth, batik["id"], 2)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/cart")
    add(client, auth, mug["id"])
    assert header_count(client) == 3
    page = text(client.get("/cart"))
    assert "Kain batik tulis Ciputat" in page and "Mug keramik biru" in page
    assert f"Toko {sari.id}" in page and f"Toko {budi.id}" in page
    assert "Rp 700.000" in page and "Rp 775.000" in page  # a shop's subtotal, the total
    assert "Masuk untuk checkout" in page and "/login?next=/checkout" in page

    resp = auth.login(buyer.email, buyer.password)
    assert resp.status_code == 302
    db_session.rollback()
    rows = {i.listing_id: i.quantity for i in db_session.scalars(select(CartItem).where(CartItem.user_id == buyer.id))}
    assert rows == {batik["id"]: 2, mug["id"]: 1}
    assert header_count(client) == 3
    page = text(client.get("/cart"))
    assert "Mug keramik biru" in page and "Masuk untuk checkout" not in page and 'href="/checkout"' in page
    auth.logout()
    assert header_count(client) == 0  # the session cart went into the account, not back to the visitor


def test_login_redirects_back_to_checkout_with_the_cart(client, auth, market, buyer):
    listing = market.approved_listing(market.seller())
    add(client, auth, listing["id"])
    token = auth.csrf_token("/login?next=/checkout")
    resp = client.post("/login?next=/checkout", data={"email": buyer.email, "password": buyer.password, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/checkout"
    assert "Kain batik tulis Ciputat" in text(client.get("/checkout"))


def test_registering_as_a_buyer_keeps_the_cart(client, auth, market):
    listing = market.approved_listing(market.seller())
    add(client, auth, listing["id"], 2)
    token = auth.csrf_token("/register")
    resp = client.post("/register?next=/checkout", data={
        "name": "Rina", "email": "rina@example.id", "password": "anyaman-bambu-1", "role": "buyer", "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/checkout"
    assert header_count(client) == 2


def test_each_problem_is_shown_in_words_and_checkout_waits(client, auth, market, buyer, api):
    seller = market.seller()
    sold_out, withdrawn, repriced, short = (
        market.approved_listing(seller, title=t, stock=3) for t in ("Tas pandan", "Topi bambu", "Kain ikat", "Mug")
    )
    auth.login(buyer.email, buyer.password)
    for listing in (sold_out, withdrawn, repriced):
        assert add(client, auth, listing["id"]).status_code == 302
    add(client, auth, short["id"], 3)
    api.patch(f"/api/v1/listings/{sold_out['id']}", as_=seller, json={"stock": 0})
    api.post(f"/api/v1/listings/{withdrawn['id']}/withdraw", as_=seller)
    api.patch(f"/api/v1/listings/{repriced['id']}", as_=seller, json={"price_idr": 390_000})
    market.approve(repriced["id"])
    api.patch(f"/api/v1/listings/{short['id']}", as_=seller, json={"stock": 1})

    page = text(client.get("/cart"))
    assert "Habis. Hapus untuk checkout." in page
    assert "Tidak tersedia lagi. Hapus untuk checkout." in page
    assert "Harga berubah dari Rp 350.000 menjadi Rp 390.000." in page
    assert "Tinggal 1." in page
    assert "Beberapa produk tidak dapat dibeli seperti ini." in page
    assert re.search(r"<button[^>]*disabled[^>]*>Checkout</button>", page)
    assert 'href="/checkout"' not in page

    token = auth.csrf_token("/cart")
    # Updating the quantity accepts the new price; removing takes the others out.
    assert client.post(f"/cart/items/{repriced['id']}", data={"quantity": 1, "csrf_token": token}).status_code == 302
    assert client.post(f"/cart/items/{short['id']}", data={"quantity": 1, "csrf_token": token}).status_code == 302
    for listing in (sold_out, withdrawn):
        assert client.post(f"/cart/items/{listing['id']}/remove", data={"csrf_token": token}).status_code == 302
    page = text(client.get("/cart"))
    assert "Beberapa produk" not in page and 'href="/checkout"' in page and "Rp 740.000" in page  # 390.000 + 350.000


@pytest.mark.parametrize("as_visitor", [True, False])
def test_too_many_is_refused_on_the_cart_page_with_409(client, auth, market, buyer, as_visitor):
    listing = market.approved_listing(market.seller(), stock=3)
    if not as_visitor:
        auth.login(buyer.email, buyer.password)
    add(client, auth, listing["id"], 2)
    resp = add(client, auth, listing["id"], 2)
    assert resp.status_code == 409 and "Tinggal 3." in text(resp)
    token = auth.csrf_token("/cart")
    resp = client.post(f"/cart/items/{listing['id']}", data={"quantity": 5, "csrf_token": token})
    assert resp.status_code == 409 and "Tinggal 3." in text(resp)
    resp = client.post(f"/cart/items/{listing['id']}", data={"quantity": 0, "csrf_token": token})
    assert resp.status_code == 422 and "Antara 1 dan 100." in text(resp)
    assert header_count(client) == 2
    assert client.post(f"/cart/items/{listing['id']}", data={"quantity": 3, "csrf_token": token}).status_code == 302
    assert header_count(client) == 3
    assert client.post(f"/cart/items/{listing['id']}/remove", data={"csrf_token": token}).status_code == 302
    assert header_count(client) == 0 and "Keranjang Anda kosong." in text(client.get("/cart"))
    assert client.post(f"/cart/items/{listing['id']}/remove", data={"csrf_token": token}).status_code == 404


def test_forms_need_the_csrf_token_and_unbuyable_listings_are_404(client, auth, market):
    seller = market.seller()
    pending = market.listing(seller)
    listing = market.approved_listing(seller)
    assert client.post("/cart/items", data={"listing_id": listing["id"], "quantity": 1}).status_code == 400
    resp = add(client, auth, listing["id"], 1)
    assert resp.status_code == 302
    token = auth.csrf_token("/cart")
    resp = client.post("/cart/items", data={"listing_id": pending["id"], "quantity": 1, "csrf_token": token})
    assert resp.status_code == 404 and "Produk ini tidak dijual." in text(resp)
    assert header_count(client) == 1


def test_a_buyers_header_has_the_account_menu(client, auth, buyer):
    auth.login(buyer.email, buyer.password)
    page = text(client.get("/"))
    menu = re.search(r'<details class="account-menu">(.*?)</details>', page, re.S)
    assert menu and "Buyer" in menu.group(1) and 'href="/orders"' in menu.group(1) and "Keluar" in menu.group(1)
