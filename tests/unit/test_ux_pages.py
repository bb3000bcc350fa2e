"""What a newcomer trips over (issue #14): error pages, the first screen of search, the home page,
the gallery, registration and shop opening messages; each in both languages."""

from __future__ import annotations

import re

import pytest

from marketplace.shops import places
from tests.unit.shops.test_pages import FORM, post_form


def html(resp) -> str:
    return resp.get_data(as_text=True)


@pytest.mark.parametrize("lang, title, text", [
    ("id", "Halaman tidak ditemukan", "Halaman yang Anda cari tidak ada atau sudah dipindahkan."),
    ("en", "Page not found", "The page you are looking for does not exist or has been moved."),
])
def test_404_page_speaks_the_visitors_language_once(client, lang, title, text):
    client.set_cookie("lang", lang)
    resp = client.get("/no-such-page", follow_redirects=True)
    page = html(resp)
    assert resp.status_code == 404 and f'<html lang="{lang}">' in page
    assert title in page and page.count(text) == 1
    assert "requested URL was not found" not in page and 'class="flash' not in page


def test_domain_error_page_says_its_reason_in_indonesian(client, catalog):
    listing = catalog.listing(catalog.shop(), status="pending_review")
    page = html(client.get(f"/listings/{listing.id}"))  # not public: a domain NotFound
    assert "Halaman tidak ditemukan" in page and 'class="flash' not in page
    assert page.count("<p>") >= 1 and "Not found" not in page


def test_api_errors_keep_their_english_json(client):
    resp = client.get("/api/v1/nope")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_every_page_has_a_favicon_and_only_static_scripts(client):
    page = html(client.get("/"))
    assert re.search(r'<link rel="icon" href="/static/favicon.svg"', page)
    icon = client.get("/static/favicon.svg")
    assert icon.status_code == 200 and icon.get_data().startswith(b"<svg")
    icon.close()
    assert "<script>" not in page and '<script src="/static/site.js" defer>' in page


def test_search_filters_start_closed_and_open_when_wrong(client):
    page = html(client.get("/search"))
    [details] = re.findall(r"<details class=\"filters-box\"[^>]*>", page)
    assert "data-open-wide" in details and " open" not in details  # site.js opens it on wide screens
    bad = html(client.get("/search?min_price=abc"))
    [details] = re.findall(r"<details class=\"filters-box\"[^>]*>", bad)
    assert " open" in details  # an error in the filters is shown, not hidden


def test_home_sell_your_work_preselects_selling(client):
    for lang, label in (("id", "berjualan"), ("en", "sell")):
        client.set_cookie("lang", lang)
        home = html(client.get("/", follow_redirects=True))
        prefix = "/en" if lang == "en" else ""
        assert f'href="{prefix}/register?role=artisan"' in home
        register = html(client.get(f"{prefix}/register?role=artisan"))
        assert re.search(rf'<option selected value="artisan">{label}</option>', register, re.I), register
    assert '<option selected value="artisan">' not in html(client.get("/register"))  # buying stays the default


@pytest.mark.parametrize("lang, welcome, shop_open", [
    ("id", "Selamat datang, Sari! Akun Anda sudah siap; sekarang buka toko Anda.", "Toko Anyaman Pandan Margahayu sudah dibuka."),
    ("en", "Welcome, Sari! Your account is ready; now open your shop.", "Your shop Anyaman Pandan Margahayu is open."),
])
def test_registering_and_opening_a_shop_are_confirmed(client, auth, lang, welcome, shop_open):
    client.set_cookie("lang", lang)
    token = auth.csrf_token("/register")
    resp = client.post("/register", data={"name": "Sari", "email": f"sari-{lang}@example.id", "password": "anyaman-bambu-1",
                                          "role": "artisan", "csrf_token": token})
    assert resp.status_code == 302
    assert welcome in html(client.get(resp.headers["Location"], follow_redirects=True))
    resp = post_form(client, auth, "/seller/shop/new", FORM)
    assert resp.status_code == 302 and shop_open in html(client.get(resp.headers["Location"], follow_redirects=True))


def test_buyer_registration_is_confirmed(client, auth):
    token = auth.csrf_token("/register")
    client.post("/register", data={"name": "Budi", "email": "budi2@example.id", "password": "anyaman-bambu-1",
                                   "role": "buyer", "csrf_token": token})
    assert "Selamat datang, Budi! Akun Anda sudah siap." in html(client.get("/"))


def test_listing_with_several_photos_is_a_gallery(client, catalog):
    listing = catalog.listing(catalog.shop(), title="Batik Kawung", images=3)
    page = html(client.get(f"/listings/{listing.id}"))
    assert page.count('class="main-photo"') == 1 and page.count("?photo=") == 3
    assert 'src="/media/listings/Batik Kawung-0.jpg"' in page
    second = html(client.get(f"/listings/{listing.id}?photo=2"))
    assert 'class="main-photo" src="/media/listings/Batik Kawung-1.jpg"' in second
    assert 'aria-current="true"' in second
    # A bad photo number shows the first photo, never an error.
    assert client.get(f"/listings/{listing.id}?photo=99").status_code == 200
    single = catalog.listing(catalog.shop(), title="Satu Foto", images=1)
    assert "?photo=" not in html(client.get(f"/listings/{single.id}"))


def test_photos_are_never_cropped():
    from pathlib import Path

    text = (Path(places.__file__).resolve().parents[1] / "static" / "site.css").read_text(encoding="utf-8")
    assert "object-fit:cover" not in text.replace(" ", "")


def test_times_in_templates_go_through_the_wib_filters():
    """A datetime printed raw would show UTC (or an ISO string); every ``*_at`` a person reads is
    filtered by ``datetime``/``date`` (WIB)."""
    from pathlib import Path

    root = Path(places.__file__).resolve().parents[1] / "templates"
    raw = re.compile(r"\{\{\s*[\w.]*(?:_at|ship_by)\s*\}\}")
    offenders = [f"{p}: {m.group(0)}" for p in root.rglob("*.*") for m in raw.finditer(p.read_text(encoding="utf-8"))]
    assert offenders == []
