"""The pages: a sentra's and a kelurahan's public page, browsing by origin, the report form on the
listing page, the reported listings in the queue, the admins' shops and audit-log pages."""

from __future__ import annotations

from tests.unit.listings.helpers import Market


def _sentra(api, admin, **overrides):
    body = {"name": "Sentra Batik Cipayung", "city": "Tangerang Selatan", "kelurahan": "Cipayung", "focus": "batik",
            "story": "Perajin batik tulis sejak 1998."}
    resp = api.post("/api/v1/admin/sentra", as_=admin, json={**body, **overrides})
    assert resp.status_code == 201, resp.json
    return resp.json


def test_sentra_and_kelurahan_pages_show_story_artisans_and_products(api, client, db_session):
    market = Market(api, db_session)
    seller = market.seller(kelurahan="Cipayung")
    listing = market.approved_listing(seller, title="Kain batik sogan")
    sentra = _sentra(api, market.admin)
    api.patch(f"/api/v1/admin/shops/{seller.shop_id}", as_=market.admin, json={"sentra_id": sentra["id"]})

    page = client.get(f"/sentra/{sentra['slug']}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Sentra Batik Cipayung" in html and "Perajin batik tulis sejak 1998." in html
    assert "Kain batik sogan" in html and f"Toko {seller.id}" in html

    kel = client.get("/places/Tangerang Selatan/Cipayung").get_data(as_text=True)
    assert "Sentra Batik Cipayung" in kel and "Kain batik sogan" in kel
    assert "Sentra Batik Cipayung" in client.get("/places").get_data(as_text=True)
    assert client.get("/places/Bekasi/Cipayung").status_code == 404
    assert client.get("/sentra/no-such-sentra").status_code == 404
    assert "Kain batik sogan" in client.get(f"/search?sentra_id={sentra['id']}").get_data(as_text=True)
    assert f"/sentra/{sentra['slug']}" in client.get(f"/listings/{listing['id']}").get_data(as_text=True)

    # a suspended artisan leaves the public pages
    api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=market.admin, json={"reason": "Diperiksa"})
    html = client.get(f"/sentra/{sentra['slug']}").get_data(as_text=True)
    assert "Kain batik sogan" not in html and f"Toko {seller.id}" not in html


def test_report_form_on_the_listing_page_and_the_reported_queue(api, client, auth, db_session):
    market = Market(api, db_session)
    listing = market.approved_listing(market.seller(), title="Tas pandan")
    buyer = api.make_user("buyer")
    anonymous = client.get(f"/listings/{listing['id']}").get_data(as_text=True)
    assert "Masuk untuk melaporkan produk ini." in anonymous
    auth.login(buyer.email, buyer.password)
    page = client.get(f"/listings/{listing['id']}")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    sent = client.post(f"/listings/{listing['id']}/report", data={"reason": "Foto dari internet", "csrf_token": token},
                       follow_redirects=True)
    assert "Terima kasih: tim kami akan memeriksa produk ini." in sent.get_data(as_text=True)
    again = client.post(f"/listings/{listing['id']}/report", data={"reason": "Lagi dong", "csrf_token": token},
                        follow_redirects=True)
    assert "Anda sudah melaporkan produk ini." in again.get_data(as_text=True)
    auth.logout()

    auth.login(market.admin.email, market.admin.password)
    queue = client.get("/admin/moderation").get_data(as_text=True)
    assert "Tas pandan" in queue and "Foto dari internet" in queue and "1 laporan" in queue
    audit = client.get("/admin/audit-log?action=listing.approve")
    assert audit.status_code == 200 and f"Produk #{listing['id']}" in audit.get_data(as_text=True)
    assert "Produk disetujui" in audit.get_data(as_text=True)
    assert client.get("/admin/audit-log?actor_id=abc").status_code == 400
    assert "Toko " in client.get("/admin/shops").get_data(as_text=True)
