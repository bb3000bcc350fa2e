"""Shop pages: open-shop form, dashboard, edit form, public shop page."""

from __future__ import annotations

import re

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.shops import places
from marketplace.shops.models import Shop

FORM = {"name": "Anyaman Pandan Margahayu", "description": "Tas dan tikar pandan", "city": "Bekasi",
        "kelurahan": "Margahayu"}


def html(resp) -> str:
    return resp.get_data(as_text=True)


def login_artisan(api, auth):
    user = api.make_user("artisan")
    auth.login(user.email, user.password)
    return user


def post_form(client, auth, path, data):
    return client.post(path, data={**data, "csrf_token": auth.csrf_token(path)})


def test_open_shop_form_happy_path(api, auth, client, db_session):
    user = login_artisan(api, auth)
    page = html(client.get("/seller/shop/new"))
    assert "Buka toko Anda" in page and "Pondok Kacang Timur" in page and "<optgroup" in page
    resp = post_form(client, auth, "/seller/shop/new", FORM)
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/seller")
    shop = db_session.scalar(select(Shop).where(Shop.owner_id == user.id))
    assert (shop.city, shop.kelurahan, shop.sentra_id) == ("Bekasi", "Margahayu", None)

    dashboard = html(client.get("/seller"))
    assert "Anyaman Pandan Margahayu" in dashboard and "/seller/listings/new" in dashboard
    # With a shop, the form sends the artisan to the dashboard.
    assert client.get("/seller/shop/new").headers["Location"].endswith("/seller")


def test_open_shop_form_errors_are_4xx_and_keep_input(api, auth, client, db_session):
    login_artisan(api, auth)
    resp = post_form(client, auth, "/seller/shop/new", {**FORM, "kelurahan": "Cipayung"})
    assert resp.status_code == 422
    assert "Kelurahan ini tidak berada di kota yang dipilih." in html(resp)
    assert "Anyaman Pandan Margahayu" in html(resp)
    resp = post_form(client, auth, "/seller/shop/new", {**FORM, "name": ""})
    assert resp.status_code == 422 and "Wajib diisi." in html(resp)
    resp = post_form(client, auth, "/seller/shop/new", {**FORM, "city": "Jakarta"})
    assert resp.status_code == 422 and "Pilih Tangerang Selatan atau Bekasi." in html(resp)
    resp = client.post("/seller/shop/new", data=FORM)  # no CSRF token
    assert resp.status_code == 400
    assert db_session.scalars(select(Shop)).all() == []


def test_seller_pages_access(api, auth, client):
    for path in ("/seller", "/seller/shop/new", "/seller/shop/edit"):
        resp = client.get(path)
        assert resp.status_code == 302 and "/login" in resp.headers["Location"]
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    for path in ("/seller", "/seller/shop/new", "/seller/shop/edit"):
        assert client.get(path).status_code == 403
    auth.logout()
    login_artisan(api, auth)
    assert client.get("/seller").headers["Location"].endswith("/seller/shop/new")
    assert client.get("/seller/shop/edit").headers["Location"].endswith("/seller/shop/new")


def test_edit_shop(api, auth, client, db_session):
    user = login_artisan(api, auth)
    post_form(client, auth, "/seller/shop/new", FORM)
    page = html(client.get("/seller/shop/edit"))
    assert "Ubah toko Anda" in page and 'value="Anyaman Pandan Margahayu"' in page
    resp = post_form(client, auth, "/seller/shop/edit", {**FORM, "city": "Tangerang Selatan", "kelurahan": "Margahayu"})
    assert resp.status_code == 422
    resp = post_form(client, auth, "/seller/shop/edit", {**FORM, "name": "Pandan Lestari"})
    assert resp.status_code == 302
    shop = db_session.scalar(select(Shop).where(Shop.owner_id == user.id))
    assert shop.name == "Pandan Lestari" and shop.kelurahan == "Margahayu"


def test_dashboard_lists_the_shops_listings_in_every_status(api, auth, client, catalog, db_session):
    user = login_artisan(api, auth)
    shop = catalog.shop(owner=db_session.get(User, user.id))
    catalog.listing(shop, title="Tikar Disetujui")
    catalog.listing(shop, title="Tikar Menunggu", status="pending_review")
    page = html(client.get("/seller"))
    assert "Tikar Disetujui" in page and "Tikar Menunggu" in page


def test_public_shop_page(client, catalog):
    shop = catalog.shop(city="Tangerang Selatan", kelurahan="Pondok Kacang Timur", sentra="Sentra Kriya Pondok Aren",
                        name="Kriya Bambu Pak Darto")
    catalog.listing(shop, title="Lampu Bambu Anyam", price_idr=185_000)
    catalog.listing(shop, title="Rahasia", status="pending_review")
    resp = client.get(f"/shops/{shop.slug}")
    page = html(resp)
    assert resp.status_code == 200
    assert "Kriya Bambu Pak Darto" in page and "Pondok Kacang Timur" in page and "Kecamatan Pondok Aren" in page
    assert "Sentra Kriya Pondok Aren" in page and "Lampu Bambu Anyam" in page and "Rp 185.000" in page
    assert "Rahasia" not in page
    assert client.get(f"/shops/{shop.slug}?page=abc").status_code == 200
    assert client.get("/shops/tidak-ada").status_code == 404
    assert client.get("/shops/toko%00x").status_code == 404


def test_kelurahan_are_grouped_by_city_with_the_placeholder_outside_every_group(api, auth, client):
    login_artisan(api, auth)
    page = html(client.get("/seller/shop/new"))
    select = re.search(r'<select id="kelurahan" name="kelurahan"[^>]*>(.*?)</select>', page, re.S).group(1)
    assert select.startswith('<option selected value="">Pilih…</option><optgroup') or \
        select.startswith('<option value="">Pilih…</option><optgroup'), select[:120]
    groups = dict(re.findall(r'<optgroup label="([^"]*)">(.*?)</optgroup>', select, re.S))
    assert list(groups) == list(places.CITIES)
    for city, options in groups.items():
        assert re.findall(r'value="([^"]*)"', options) == list(places.kelurahan_of(city))
    assert 'value="Margahayu"' in groups["Bekasi"] and 'value="Margahayu"' not in groups["Tangerang Selatan"]
    # The script that shows only the chosen city's group is an enhancement: the form works without it.
    assert "shop-form.js" in page and "data-places" in page
    script = client.get("/static/shop-form.js")
    try:
        assert script.status_code == 200 and "optgroup" in script.get_data(as_text=True)
    finally:
        script.close()


def test_dashboard_has_one_add_button(api, auth, client, catalog, db_session):
    user = login_artisan(api, auth)
    shop = catalog.shop(owner=db_session.get(User, user.id))
    catalog.listing(shop, title="Tikar Pandan", price_idr=15_000)
    page = html(client.get("/seller"))
    assert page.count('href="/seller/listings/new"') == 1
    assert '<a class="button" href="/seller/listings/new">Tambah produk baru</a>' in page
    assert '<td class="price">Rp 15.000</td>' in page
