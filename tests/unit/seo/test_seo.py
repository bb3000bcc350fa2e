"""What a search engine or a chat app reads: robots.txt, the sitemaps, each product's and shop's
schema.org data, the canonical and Open Graph tags, and ``noindex`` on private pages."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET

import pytest

from marketplace.seo import services
from marketplace.web import deps

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9"}


def _base(app) -> str:
    return deps.of(app).settings.public_base_url.rstrip("/")


def _xml(client, path: str) -> ET.Element:
    resp = client.get(path)
    assert resp.status_code == 200, path
    assert resp.content_type.startswith("application/xml")
    return ET.fromstring(resp.data)


def _locs(root: ET.Element) -> list[str]:
    return [e.text or "" for e in root.iterfind(".//sm:loc", NS)]


def _jsonld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(b) for b in blocks]


def test_robots_keeps_private_pages_out_and_names_the_sitemap(app, client):
    resp = client.get("/robots.txt")
    assert resp.status_code == 200 and resp.mimetype == "text/plain"
    lines = resp.get_data(as_text=True).splitlines()
    for private in ("/cart", "/checkout", "/account", "/seller", "/admin", "/orders", "/api/"):
        assert f"Disallow: {private}" in lines
    assert "Allow: /" in lines
    assert f"Sitemap: {_base(app)}/sitemap.xml" in lines


def test_sitemaps_list_every_public_page_with_its_last_change_and_nothing_private(app, client, api, market):
    seller, other = market.seller(), market.seller(kelurahan="Pamulang Barat")
    public = market.approved_listing(seller, title="Batik tulis Kauman")
    pending = market.listing(seller, title="Belum disetujui")
    hidden = market.approved_listing(other, title="Toko ditangguhkan")
    resp = api.post(f"/api/v1/admin/shops/{other.shop_id}/suspend", as_=market.admin,
                    json={"reason": "Foto produk bukan buatan sendiri"})
    assert resp.status_code == 200, resp.json
    base = _base(app)

    index = _xml(client, "/sitemap.xml")
    assert index.tag == f"{{{NS['sm']}}}sitemapindex"
    files = _locs(index)
    assert files == [f"{base}/sitemaps/{kind}-1.xml" for kind in services.KINDS]

    listings = _xml(client, "/sitemaps/listings-1.xml")
    urls = {u.find("sm:loc", NS).text: u.find("sm:lastmod", NS) for u in listings.iterfind("sm:url", NS)}
    assert f"{base}/listings/{public['id']}" in urls
    assert f"{base}/listings/{pending['id']}" not in urls and f"{base}/listings/{hidden['id']}" not in urls
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", urls[f"{base}/listings/{public['id']}"].text)

    shops = _locs(_xml(client, "/sitemaps/shops-1.xml"))
    assert len(shops) == 2 and shops[0].startswith(f"{base}/shops/")  # in Indonesian and in English
    assert shops[1] == f"{base}/en{shops[0][len(base):]}"
    assert client.get(shops[0][len(base):]).status_code == 200
    places = _locs(_xml(client, "/sitemaps/places-1.xml"))
    assert len(places) == 2 and client.get(places[0][len(base):]).status_code == 200  # Cipayung only
    assert client.get("/sitemaps/listings-2.xml").status_code == 404
    assert client.get("/sitemaps/secrets-1.xml").status_code == 404


def test_a_kind_over_the_limit_is_split_into_files(app, client, market, monkeypatch):
    monkeypatch.setattr(services, "URLS_PER_FILE", 2)
    seller = market.seller()
    ids = [market.approved_listing(seller, title=f"Tas anyaman {n}")["id"] for n in range(3)]
    base = _base(app)
    assert f"{base}/sitemaps/listings-2.xml" in _locs(_xml(client, "/sitemap.xml"))
    first = _locs(_xml(client, "/sitemaps/listings-1.xml"))
    second = _locs(_xml(client, "/sitemaps/listings-2.xml"))
    third = _locs(_xml(client, "/sitemaps/listings-3.xml"))
    assert len(first) == len(second) == 2  # one page, in each language: no file over the limit
    assert first + second + third == [f"{base}{prefix}/listings/{i}" for i in sorted(ids) for prefix in ("", "/en")]
    assert client.get("/sitemaps/listings-4.xml").status_code == 404


def test_product_page_carries_product_and_breadcrumbs_for_rich_results(app, client, market):
    seller = market.seller()
    listing = market.approved_listing(seller, title="Tenun </script><script>alert(1)</script>",
                                      price_idr=350_000, stock=0)
    html = client.get(f"/listings/{listing['id']}").get_data(as_text=True)
    assert "<script>alert(1)" not in html
    blocks = {b["@type"]: b for b in _jsonld(html)}
    product = blocks["Product"]
    assert product["@context"] == "https://schema.org"
    assert product["name"] == "Tenun </script><script>alert(1)</script>"
    offer = product["offers"]
    assert (offer["@type"], offer["price"], offer["priceCurrency"]) == ("Offer", 350_000, "IDR")
    assert offer["availability"] == "https://schema.org/OutOfStock"  # none left
    assert offer["url"] == f"{_base(app)}/listings/{listing['id']}"
    assert offer["seller"]["name"] == product["brand"]["name"]
    crumbs = blocks["BreadcrumbList"]["itemListElement"]
    assert [c["position"] for c in crumbs] == [1, 2, 3]
    assert all("name" in c for c in crumbs) and all("item" in c for c in crumbs[:-1])
    assert 'name="twitter:card"' in html


def test_a_preview_of_a_listing_not_public_has_no_product_data(client, auth, market):
    seller = market.seller()
    pending = market.listing(seller)
    auth.login(seller.email, seller.password)
    html = client.get(f"/listings/{pending['id']}").get_data(as_text=True)
    assert _jsonld(html) == [] and '<meta name="robots" content="noindex">' in html


def test_shop_and_home_pages_have_canonical_open_graph_and_the_shop_its_place(app, client, market):
    seller = market.seller()
    market.approved_listing(seller)
    shop_url = _locs(_xml(client, "/sitemaps/shops-1.xml"))[0]
    html = client.get(shop_url[len(_base(app)):]).get_data(as_text=True)
    assert f'<link rel="canonical" href="{shop_url}">' in html
    assert f'<meta property="og:url" content="{shop_url}">' in html
    [business] = _jsonld(html)
    assert business["@type"] == "LocalBusiness"
    assert business["address"] == {"@type": "PostalAddress", "addressLocality": "Cipayung",
                                   "addressRegion": "Tangerang Selatan", "addressCountry": "ID"}
    home = client.get("/").get_data(as_text=True)
    assert f'<link rel="canonical" href="{_base(app)}/">' in home and 'property="og:title"' in home


@pytest.mark.parametrize("path", ["/cart", "/login", "/seller/listings", "/admin/moderation", "/orders"])
def test_private_pages_are_noindex(client, path):
    assert client.get(path).headers.get("X-Robots-Tag") == "noindex, nofollow"


def test_public_pages_may_be_indexed(client, market):
    listing = market.approved_listing(market.seller())
    for path in ("/", "/search", f"/listings/{listing['id']}", "/robots.txt", "/sitemap.xml"):
        assert "X-Robots-Tag" not in client.get(path).headers, path


def test_product_and_shop_pages_share_to_whatsapp_facebook_and_x_with_utm_tags(app, client, market):
    from html import unescape
    from urllib.parse import parse_qs, urlsplit

    seller = market.seller()
    listing = market.approved_listing(seller, title="Tas anyaman pandan")
    html = unescape(client.get(f"/listings/{listing['id']}").get_data(as_text=True))
    wa = re.search(r'class="share-whatsapp" href="([^"]+)"', html).group(1)
    text = parse_qs(urlsplit(wa).query)["text"][0]
    shared = text.split(" ")[-1]
    assert urlsplit(wa).netloc == "wa.me" and text.startswith("Tas anyaman pandan ")
    assert parse_qs(urlsplit(shared).query) == {"utm_source": ["whatsapp"], "utm_medium": ["share"],
                                               "utm_campaign": [f"listing-{listing['id']}"]}
    assert shared.startswith(f"{_base(app)}/listings/{listing['id']}?")
    fb = re.search(r'class="share-facebook" href="([^"]+)"', html).group(1)
    assert parse_qs(urlsplit(fb).query)["u"][0].endswith("utm_source=facebook&utm_medium=share&utm_campaign="
                                                         f"listing-{listing['id']}")
    assert 'class="share-x"' in html and "data-copy-link=" in html and "Bagikan" in html
    # the shared link lands as a visit from that channel
    landing = client.get(urlsplit(shared).path + "?" + urlsplit(shared).query)
    assert landing.status_code == 200 and "pk_visit" in landing.headers.get("Set-Cookie", "")
    shop_html = client.get(_locs(_xml(client, "/sitemaps/shops-1.xml"))[0][len(_base(app)):]).get_data(as_text=True)
    assert 'class="share-whatsapp"' in shop_html and "utm_campaign%3Dshop-" in shop_html


def test_a_product_with_variants_at_several_prices_offers_their_range(app, client, api, market):
    """The variants a buyer can take (in stock) from the lowest to the highest price, and how many;
    when all are sold out, the range of all of them, out of stock."""
    from tests.unit.listings.test_variants_api import shirt

    seller = market.seller()
    listing = api.post("/api/v1/listings", as_=seller, json=shirt()).json  # in stock: 200.000 and 250.000
    market.approve(listing["id"])
    offer = {b["@type"]: b for b in _jsonld(client.get(f"/listings/{listing['id']}").get_data(as_text=True))}[
        "Product"]["offers"]
    assert (offer["@type"], offer["lowPrice"], offer["highPrice"], offer["offerCount"]) == (
        "AggregateOffer", 200_000, 250_000, 2)
    assert offer["priceCurrency"] == "IDR" and offer["availability"] == "https://schema.org/InStock"
    assert "price" not in offer

    sold_out = api.post("/api/v1/listings", as_=seller, json=shirt(variants=[
        {"options": {"ukuran": "M"}, "price_idr": 90_000, "stock": 0},
        {"options": {"ukuran": "L"}, "price_idr": 95_000, "stock": 0},
        {"options": {"ukuran": "XL"}, "price_idr": 99_000, "stock": 0}])).json
    market.approve(sold_out["id"])
    offer = {b["@type"]: b for b in _jsonld(client.get(f"/listings/{sold_out['id']}").get_data(as_text=True))}[
        "Product"]["offers"]
    assert (offer["lowPrice"], offer["highPrice"], offer["offerCount"]) == (90_000, 99_000, 3)
    assert offer["availability"] == "https://schema.org/OutOfStock"

    one_price = api.post("/api/v1/listings", as_=seller, json=shirt(variants=[
        {"options": {"ukuran": "M"}, "price_idr": 120_000, "stock": 1},
        {"options": {"ukuran": "L"}, "price_idr": 120_000, "stock": 1}])).json
    market.approve(one_price["id"])
    offer = {b["@type"]: b for b in _jsonld(client.get(f"/listings/{one_price['id']}").get_data(as_text=True))}[
        "Product"]["offers"]
    assert (offer["@type"], offer["price"]) == ("Offer", 120_000)  # one price: a plain offer
