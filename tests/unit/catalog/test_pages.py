"""Public pages: home, search, listing (with Open Graph tags and previews)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from marketplace.accounts.models import User
from marketplace.web import deps


def html(resp) -> str:
    return resp.get_data(as_text=True)


def og(page: str, prop: str) -> str | None:
    match = re.search(rf'<meta property="{re.escape(prop)}" content="([^"]*)"', page)
    return unescape(match.group(1)) if match else None


@pytest.fixture
def shop(catalog):
    return catalog.shop(city="Bekasi", kelurahan="Harapan Jaya", sentra="Sentra Tenun Harapan Jaya", name="Tenun Bu Ani")


def test_home_shows_programme_newest_and_browsing(client, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun", price_idr=275_000)
    catalog.listing(shop, title="Rahasia Pending", status="pending_review")
    page = html(client.get("/"))
    assert "Produk kreatif dari kelurahan" in page  # Indonesian by default
    assert "Selendang Tenun Ikat" in page and "Rp 275.000" in page
    assert "Rahasia Pending" not in page
    assert "Harapan Jaya" in page and "Sentra Tenun Harapan Jaya" in page
    assert "/search?city=Bekasi&amp;kelurahan=Harapan+Jaya" in page
    assert "/search?category=tenun" in page


def test_home_in_english_and_when_empty(client):
    page = html(client.get("/en/"))
    assert "Creative products from the kelurahan" in page and "No products yet" in page


def test_search_page_filters_and_pages(client, catalog, shop):
    for i in range(30):
        catalog.listing(shop, title=f"Tas Anyaman {i}", category="anyaman", age_days=i)
    catalog.listing(shop, title="Keramik Biru", category="keramik")
    resp = client.get("/search?q=anyaman&category=anyaman&city=Bekasi&min_price=&sort=newest")
    page = html(resp)
    assert resp.status_code == 200
    assert "30 produk" in page and "Tas Anyaman 0" in page and "Keramik Biru" not in page
    assert "Halaman 1 dari 2" in page and "page=2" in page
    page2 = html(client.get("/search?q=anyaman&category=anyaman&city=Bekasi&sort=newest&page=2"))
    assert "Tas Anyaman 29" in page2 and "Tas Anyaman 0<" not in page2


def test_search_page_empty_state_and_bad_filters(client, catalog, shop):
    catalog.listing(shop, title="Keramik Biru", category="keramik")
    page = html(client.get("/search?q=tidakadaapapun"))
    assert "Tidak ada produk yang cocok" in page
    resp = client.get("/search?min_price=abc&page=0")
    assert resp.status_code == 400 and 'role="alert"' in html(resp)
    assert client.get("/search?q=%22%28%2A").status_code == 200


def test_listing_page_with_open_graph(app, client, catalog, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", description="Tenun ikat\ndari Harapan Jaya",
                              price_idr=275_000, images=2, fulfilment="made_to_order", processing_days=7)
    resp = client.get(f"/listings/{listing.id}")
    page = html(resp)
    assert resp.status_code == 200
    assert "Rp 275.000" in page and "Tenun Bu Ani" in page and "Harapan Jaya" in page
    assert "Sentra Tenun Harapan Jaya" in page and "Dibuat sesuai pesanan" in page
    base = deps.of(app).settings.public_base_url
    assert og(page, "og:type") == "product"
    assert og(page, "og:title") == "Selendang Tenun Ikat"
    assert og(page, "og:description") == "Tenun ikat dari Harapan Jaya"
    assert og(page, "og:url") == f"{base}/listings/{listing.id}"
    image = og(page, "og:image")
    assert image and image.startswith(base + "/") and image.endswith("Selendang Tenun Ikat-0.jpg")
    assert og(page, "product:price:amount") == "275000" and og(page, "product:price:currency") == "IDR"


def test_unapproved_listing_is_404_for_others_and_previewable_by_owner_and_admin(api, auth, client, catalog, db_session):
    owner = api.make_user("artisan")
    shop = catalog.shop(owner=db_session.get(User, owner.id))
    pending = catalog.listing(shop, title="Belum Disetujui", status="pending_review")
    rejected = catalog.listing(shop, title="Ditolak", status="rejected", rejection_reason="Foto buram")
    for listing in (pending, rejected):
        assert client.get(f"/listings/{listing.id}").status_code == 404
    assert client.get("/listings/999999").status_code == 404

    other = api.make_user("artisan")
    auth.login(other.email, other.password)
    assert client.get(f"/listings/{pending.id}").status_code == 404
    auth.logout()

    auth.login(owner.email, owner.password)
    page = html(client.get(f"/listings/{rejected.id}"))
    assert "Pratinjau" in page and "Foto buram" in page and 'name="robots" content="noindex"' in page
    assert f"/seller/listings/{rejected.id}/edit" in page
    auth.logout()

    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    assert client.get(f"/listings/{pending.id}").status_code == 200


def test_category_labels_are_translated_on_listing_home_and_search(client, catalog, shop):
    listing = catalog.listing(shop, title="Tas Eceng Gondok", category="anyaman")
    for path in (f"/listings/{listing.id}", "/", "/search"):
        page = html(client.get(path))
        assert ">Anyaman<" in page.replace("> ", ">").replace(" <", "<"), path
    assert "Basketry (anyaman)" in html(client.get(f"/en/listings/{listing.id}"))


def test_counts_take_the_plural_of_the_visitors_language(client, catalog, shop):
    catalog.listing(shop, title="Kain Sasirangan", category="tenun")
    assert "1 product<" in html(client.get("/en/search?category=tenun"))
    catalog.listing(shop, title="Kain Songket", category="tenun")
    assert "2 products<" in html(client.get("/en/search?category=tenun"))
    assert "2 produk<" in html(client.get("/search?category=tenun"))


def test_listing_page_counts_days_and_stock_in_the_visitors_language(client, catalog, shop):
    made = catalog.listing(shop, title="Tas Rotan", fulfilment="made_to_order", processing_days=1)
    assert "Ready to ship in 1 day" in html(client.get(f"/en/listings/{made.id}"))
    assert "Siap dikirim dalam 1 hari" in html(client.get(f"/listings/{made.id}"))
    stocked = catalog.listing(shop, title="Gelang Manik", stock=1_250)
    assert "Stok 1.250" in html(client.get(f"/listings/{stocked.id}"))
    assert "1,250 in stock" in html(client.get(f"/en/listings/{stocked.id}"))
