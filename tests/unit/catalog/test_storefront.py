"""The storefront design (issue #29): the header's icon links and counts, the phone's bottom navigation bar,
the search box's suggestions, and what a product card tells (rating, sold count, badges)."""

from __future__ import annotations

import re
from html import unescape

import pytest

from marketplace.db import utcnow
from tests.unit.orders.test_api import ADDRESS
from tests.unit.reviews.helpers import buy, review


def html(resp) -> str:
    return resp.get_data(as_text=True)


def card_of(page: str, listing_id: int, prefix: str = "") -> str:
    """The product card of ``listing_id`` on a page (from its link to the end of its card); ``prefix``
    ``/en`` on an English page."""
    start = page.index(f'href="{prefix}/listings/{listing_id}"')
    return page[start:page.index('<div class="product-card">', start) if '<div class="product-card">' in page[start:]
                else len(page)]


def text(fragment: str) -> str:
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_cards_show_the_rating_the_sold_count_and_the_badges(client, api, app, market):
    seller = market.seller()
    loved = market.approved_listing(seller, title="Tas anyaman mendong", stock=20)
    waiting = market.approved_listing(seller, title="Tas anyaman pandan", stock=20)
    plain = market.approved_listing(seller, title="Tas anyaman rotan", stock=20)
    review(api, buy(api, app, market, seller=seller, listing=loved), 5)
    review(api, buy(api, app, market, seller=seller, listing=loved), 4)
    buy(api, app, market, seller=seller, listing=waiting, deliver=False)  # paid, not shipped yet: sold
    unpaid = api.make_user("buyer")  # an order waiting for payment is not a sale
    api.post("/api/v1/cart/items", as_=unpaid, json={"listing_id": plain["id"], "quantity": 3})
    assert api.post("/api/v1/checkout", as_=unpaid, json={"shipping_address": ADDRESS}).status_code in (200, 201)

    page = html(client.get("/search?q=anyaman"))
    assert "4,5 dari 5 bintang, 2 ulasan" in text(card_of(page, loved["id"]))
    assert "2 terjual" in text(card_of(page, loved["id"]))
    assert "1 terjual" in text(card_of(page, waiting["id"])) and "bintang" not in text(card_of(page, waiting["id"]))
    assert "terjual" not in text(card_of(page, plain["id"])) and "card-stats" not in card_of(page, plain["id"])
    english = html(client.get("/en/search?q=anyaman"))
    assert "4.5 out of 5 stars, 2 reviews" in text(card_of(english, loved["id"], "/en"))
    assert "2 sold" in text(card_of(english, loved["id"], "/en"))


def test_a_shop_voucher_running_puts_a_badge_on_its_cards(client, api, market):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Kain tenun ikat", stock=5)
    assert "badge-voucher" not in card_of(html(client.get("/search?q=tenun")), listing["id"])
    now = utcnow()
    resp = api.post("/api/v1/seller/vouchers", as_=seller, json={
        "code": "TENUN10", "kind": "percent", "value": 10, "starts_at": now.isoformat(),
        "ends_at": now.replace(year=now.year + 1).isoformat()})
    assert resp.status_code == 201, resp.json
    # (another address: an anonymous page's copy lives up to PAGE_CACHE_SECONDS, and a voucher is no catalogue change)
    card = card_of(html(client.get("/search?q=tenun&sort=newest")), listing["id"])
    assert "badge-voucher" in card and "Voucher" in text(card)


def test_header_icon_links_and_counts_for_a_buyer(client, auth, api, market):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Gelang manik", stock=9)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 2})
    auth.login(buyer.email, buyer.password)
    page = html(client.get("/"))
    header = page[page.index('<header'):page.index('</header>')]
    assert 'href="/favorit"' in header and "Favorit" in header
    assert re.search(r'class="cart-link[^"]*"[^>]*aria-label="Keranjang, 2 barang"', header)
    assert 'class="messages-link' in header and '<svg class="icon"' in header
    assert 'role="search"' in header and 'data-suggest="/search/suggest"' in header


def test_the_bottom_navigation_bar_has_the_five_shortcuts(client, auth, api, market):
    market.approved_listing(market.seller(), title="Kain batik", stock=3)
    page = html(client.get("/"))
    nav = page[page.index('<nav class="bottom-nav"'):]
    nav = nav[:nav.index("</nav>")]
    assert [text(a) for a in re.findall(r"<a .*?</a>", nav, re.S)] == ["Beranda", "Kategori", "Keranjang", "Pesanan",
                                                                       "Akun"]
    assert 'aria-current="page"' in nav.split("</a>")[0]  # on the home page, "Beranda" is where we are
    assert 'href="/login"' in nav and 'id="kategori"' in page  # the categories shortcut lands on the tiles
    seller = market.seller(kelurahan="Pamulang Barat")
    auth.login(seller.email, seller.password)
    nav = html(client.get("/seller"))
    nav = nav[nav.index('<nav class="bottom-nav"'):]
    assert "Pesan" in text(nav[:nav.index("</nav>")]) and 'href="/seller/orders"' in nav


@pytest.mark.parametrize("query", ["", "a", "x" * 101, "%20%20b%20"])
def test_suggestions_refuse_bad_input_with_a_4xx(client, query):
    resp = client.get(f"/search/suggest?q={query}")
    assert resp.status_code == 400
    assert resp.get_json()["error"]["code"] == "validation_error" and "q" in resp.get_json()["error"]["fields"]


def test_suggestions_refuse_a_nul_byte_as_every_page_does(client):
    assert client.get("/search/suggest?q=ba%00tik").status_code == 422


def test_suggestions_offer_products_shops_and_categories(client, catalog):
    shop = catalog.shop(name="Batik Bu Sari", kelurahan="Cipayung")
    catalog.listing(shop, title="Kain batik tulis Cipayung", category="batik")
    catalog.listing(catalog.shop(name="Keramik Pak Budi"), title="Mangkuk keramik", category="keramik")
    found = client.get("/search/suggest?q=batik").get_json()
    assert [p["name"] for p in found["products"]] == ["Kain batik tulis Cipayung"]
    assert found["products"][0]["url"].startswith("/listings/")
    assert [s["name"] for s in found["shops"]] == ["Batik Bu Sari"]
    assert found["categories"] == [{"name": "Batik", "url": "/search?category=batik"}]
    assert client.get("/search/suggest?q=50%25_off").get_json() == {"products": [], "shops": [], "categories": []}


def test_the_product_page_has_a_buy_bar_and_the_shop_card_shows_its_rating(client, api, app, market):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Tas anyaman mendong", stock=20)
    review(api, buy(api, app, market, seller=seller, listing=listing), 4)
    page = html(client.get(f"/listings/{listing['id']}"))
    bar = page[page.index('<div class="buy-bar">'):]
    bar = bar[:bar.index("</div>")]
    assert 'form="buy"' in bar and "Beli" in text(bar) and 'id="buy"' in page  # the bar submits the page's form
    shop_card = page[page.index('<section class="card shop-info">'):]
    shop_card = text(shop_card[:shop_card.index("</section>")])
    assert "4,0 dari 5 bintang" in shop_card and "(1 ulasan)" in shop_card and "Kelurahan" in shop_card
    sold_out = market.approved_listing(seller, title="Tas habis", stock=1)
    buy(api, app, market, seller=seller, listing=sold_out, deliver=False)
    assert '<div class="buy-bar">' not in html(client.get(f"/listings/{sold_out['id']}"))  # nothing to buy


def test_home_shows_the_festival_as_its_hero_the_best_sellers_and_the_events(client, api, app, market):
    from tests.unit.programme.helpers import create_event

    seller = market.seller()
    popular = market.approved_listing(seller, title="Tas anyaman mendong", stock=20)
    market.approved_listing(seller, title="Tas anyaman rotan", stock=20)
    buy(api, app, market, seller=seller, listing=popular, deliver=False)
    page = html(client.get("/"))
    assert "Produk terlaris" in page and 'id="kategori"' in page
    row = page[page.index("Produk terlaris"):page.index("Produk terbaru")]
    assert "Tas anyaman mendong" in row and "Tas anyaman rotan" not in row  # only what sold
    assert 'class="campaign' not in page  # no campaign running: no campaign card
    create_event(api, market.admin, kind="workshop", title="Membatik dengan canting")
    create_event(api, market.admin, kind="festival", title="Festival Kriya Cipayung")
    page = html(client.get("/?fresh=1"))
    hero = page[page.index('<section class="hero">'):page.index("</section>")]
    assert "Festival Kriya Cipayung" in hero and "Lihat acara" in hero
    events = page[page.index("Acara mendatang"):]
    assert "Membatik dengan canting" in events and "Festival Kriya Cipayung" in events


def test_search_says_the_query_and_shows_the_filters_as_removable_chips(client, catalog):
    shop = catalog.shop(city="Bekasi", kelurahan="Harapan Jaya")
    catalog.listing(shop, title="Selendang tenun ikat", category="tenun", price_idr=275_000)
    page = html(client.get("/search?q=tenun&category=tenun&city=Bekasi&min_price=100000&page=1"))
    assert "<h1>Hasil untuk “tenun”</h1>" in unescape(page)
    chips = page[page.index('class="chips filter-chips"'):]
    chips = chips[:chips.index("</ul>")]
    links = dict((text(label), unescape(href)) for href, label in re.findall(r'<a[^>]*href="([^"]+)"[^>]*>(.*?)</a>',
                                                                              chips, re.DOTALL))
    assert links["Hapus filter: Tenun"].startswith("/search?") and "category=" not in links["Hapus filter: Tenun"]
    assert "q=tenun" in links["Hapus filter: Tenun"] and "page=" not in links["Hapus filter: Tenun"]
    assert "min_price" not in links["Hapus filter: Min. Rp 100.000"] and "city=Bekasi" in links["Hapus filter: Min. Rp 100.000"]
    assert links["Hapus semua"] == "/search"
    assert "filter-chips" not in html(client.get("/search"))  # no filter, no chips
