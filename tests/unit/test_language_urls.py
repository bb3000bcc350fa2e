"""Each language has its own URL: Bahasa Indonesia at the root, English under ``/en`` (issue #28).

What a visitor or a search engine notices: an English page's links, forms and redirects stay English;
each public page names itself and its other-language twin (``hreflang``, canonical); the switch keeps
the visitor on the same page; an old ``?lang=en`` link or a remembered choice still lands in English;
the API, feeds and webhooks are where they were.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from marketplace import language_paths
from marketplace.web import deps

NS = {"sm": "http://www.sitemaps.org/schemas/sitemap/0.9", "xhtml": "http://www.w3.org/1999/xhtml"}


def _base(app) -> str:
    return deps.of(app).settings.public_base_url.rstrip("/")


def _links(html: str) -> dict[str, str]:
    """``hreflang`` → href of the page's alternates, and ``canonical``."""
    found = {m.group(1): m.group(2) for m in re.finditer(r'<link rel="alternate" hreflang="([^"]+)" href="([^"]+)">', html)}
    canonical = re.findall(r'<link rel="canonical" href="([^"]+)">', html)
    assert len(canonical) == 1, canonical
    return {**found, "canonical": canonical[0]}


def test_paths_are_placed_in_a_language_by_one_rule():
    assert language_paths.localize("/listings/5", "en") == "/en/listings/5"
    assert language_paths.localize("/en/listings/5", "id") == "/listings/5"
    assert language_paths.localize("/en/listings/5", "en") == "/en/listings/5"
    assert language_paths.localize("/", "en") == "/en/"
    assert language_paths.localize("/api/v1/listings", "en") == "/api/v1/listings"
    assert language_paths.localize("/static/site.css", "en") == "/static/site.css"
    assert language_paths.split("/en") == ("en", "/")
    assert language_paths.split("/en/api/v1/listings") == ("id", "/en/api/v1/listings")  # no English API
    assert language_paths.split("/english-tea") == ("id", "/english-tea")


def test_mail_links_open_in_the_recipients_language():
    context = {"order_url": "https://pasar.example/orders/7", "title": "https://pasar.example/orders/7",
               "feed_url": "https://pasar.example/feeds/listings.rss", "other_url": "https://elsewhere.example/x"}
    english = language_paths.localize_links(context, "https://pasar.example/", "en")
    assert english["order_url"] == "https://pasar.example/en/orders/7"
    assert english["title"] == context["title"]  # not a link field
    assert english["feed_url"] == context["feed_url"] and english["other_url"] == context["other_url"]
    assert language_paths.localize_links(context, "https://pasar.example", "id") == context


def test_english_page_has_its_own_url_and_its_links_stay_english(app, client, market):
    listing = market.approved_listing(market.seller(), title="Tas anyaman pandan")
    resp = client.get(f"/en/listings/{listing['id']}")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert '<html lang="en">' in html
    assert 'href="/en/"' in html and 'action="/en/search"' in html and 'href="/en/login"' in html
    assert 'href="/static/site.css"' in html and 'href="/feeds/listings.rss"' in html  # one URL for every language
    assert "/en/static" not in html and "/en/media" not in html and "/en/api" not in html
    base = _base(app)
    links = _links(html)
    assert links["canonical"] == f"{base}/en/listings/{listing['id']}"
    assert links["id"] == links["x-default"] == f"{base}/listings/{listing['id']}"
    assert links["en"] == links["canonical"]
    assert f'"url":"{base}/en/listings/{listing["id"]}"' in html  # the Product's offer, in JSON-LD
    copied = re.search(r'data-copy-link="([^"]+)"', html).group(1).replace("&amp;", "&")
    assert copied == f"{base}/en/listings/{listing['id']}?utm_source=link&utm_medium=share&utm_campaign=listing-{listing['id']}"
    indonesian = client.get(f"/listings/{listing['id']}").get_data(as_text=True)
    assert '<html lang="id">' in indonesian and 'action="/search"' in indonesian
    assert _links(indonesian) == {**links, "canonical": links["id"]}


def test_hreflang_pairs_resolve_both_ways_on_every_kind_of_public_page(app, client, market):
    seller = market.seller()
    market.approved_listing(seller)
    base = _base(app)
    slug = client.get("/sitemaps/shops-1.xml").get_data(as_text=True).split(f"{base}/shops/")[1].split("<")[0]
    for path in ("/", "/search?q=batik", "/search?category=batik", f"/shops/{slug}", "/events"):
        html = client.get(path).get_data(as_text=True)
        links = _links(html)
        assert links["canonical"] == links["id"] == base + path, path
        english = client.get(links["en"][len(base):])
        assert english.status_code == 200, path
        back = _links(english.get_data(as_text=True))
        assert back["canonical"] == links["en"] and back["id"] == links["id"] and back["en"] == links["en"], path


def test_tracking_tags_are_not_part_of_the_page_and_private_pages_name_no_alternates(app, client):
    html = client.get("/search?q=batik&utm_source=wa&utm_medium=share").get_data(as_text=True)
    assert _links(html)["en"] == f"{_base(app)}/en/search?q=batik"
    assert 'hreflang=' not in client.get("/en/login").get_data(as_text=True).split("</head>")[0].replace(
        'hreflang="id" lang="id"', "")


def test_old_language_links_and_the_remembered_choice_land_on_the_language_url(client, market):
    listing = market.approved_listing(market.seller())
    resp = client.get(f"/listings/{listing['id']}?lang=en")
    assert resp.status_code == 302 and resp.headers["Location"] == f"/en/listings/{listing['id']}"
    resp = client.get("/search?q=tenun&lang=en&category=tenun")
    assert resp.headers["Location"] == "/en/search?q=tenun&category=tenun"
    assert client.get("/en/search?q=tenun&lang=id").headers["Location"] == "/search?q=tenun"
    client.set_cookie("lang", "en")
    assert client.get("/login").headers["Location"] == "/en/login"
    assert client.get("/en/login").status_code == 200
    assert client.get("/api/v1/listings").status_code == 200  # the API is not a page in a language
    assert client.get("/robots.txt").status_code == 200


def test_the_switch_keeps_the_visitor_on_the_same_page(client):
    resp = client.get("/lang/en?next=/search?q%3Dbatik%26category%3Dbatik")
    assert resp.status_code == 302 and resp.headers["Location"] == "/en/search?q=batik&category=batik"
    assert "lang=en" in resp.headers["Set-Cookie"]
    page = client.get("/en/search?q=batik&category=batik").get_data(as_text=True)
    assert "/lang/id?next=/search?q%3Dbatik%26category%3Dbatik" in page
    resp = client.get("/lang/id?next=/search?q%3Dbatik")
    assert resp.headers["Location"] == "/search?q=batik"
    assert client.get("/search?q=batik").status_code == 200  # Indonesian remembered: no redirect
    assert client.get("/lang/en?next=/en/login").headers["Location"] == "/en/login"
    assert client.get("/lang/en?next=//evil.example/x").headers["Location"] == "/en/"


def test_forms_and_redirects_after_a_post_stay_english(client, api):
    user = api.make_user("buyer", email="pembeli@contoh.id")
    resp = client.get("/en/orders")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/en/login?next=")
    login = client.get(resp.headers["Location"])
    html = login.get_data(as_text=True)
    assert ">Log in<" in html
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)
    bad = client.post("/en/login?next=/orders", data={"email": user.email, "password": "wrong", "csrf_token": token})
    assert bad.status_code in (200, 400, 401) and '<html lang="en">' in bad.get_data(as_text=True)
    resp = client.post("/en/login?next=/orders", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/en/orders"
    orders = client.get("/en/orders").get_data(as_text=True)
    assert '<html lang="en">' in orders and 'action="/en/logout"' in orders


def test_api_and_machine_urls_are_not_moved(client):
    assert client.get("/en/api/v1/listings").status_code == 404
    assert client.get("/en/healthz").status_code == 404
    assert client.get("/healthz").status_code == 200
    assert client.get("/feeds/listings.rss", headers={"Cookie": "lang=en"}).status_code == 200


def test_sitemap_entries_name_both_languages(app, client, market):
    listing = market.approved_listing(market.seller())
    base = _base(app)
    root = ET.fromstring(client.get("/sitemaps/listings-1.xml").data)
    entries = {u.find("sm:loc", NS).text: {x.get("hreflang"): x.get("href") for x in u.iterfind("xhtml:link", NS)}
               for u in root.iterfind("sm:url", NS)}
    own, english = f"{base}/listings/{listing['id']}", f"{base}/en/listings/{listing['id']}"
    assert entries[own] == entries[english] == {"id": own, "en": english, "x-default": own}


def test_each_language_of_an_anonymous_page_is_kept_apart(client):
    assert '<html lang="id">' in client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/en/").get_data(as_text=True)
    assert '<html lang="id">' in client.get("/").get_data(as_text=True)
    assert '<html lang="en">' in client.get("/en").get_data(as_text=True)


def test_robots_keeps_the_english_private_pages_out_too(client):
    lines = client.get("/robots.txt").get_data(as_text=True).splitlines()
    assert "Disallow: /en/cart" in lines and "Disallow: /en/seller" in lines and "Disallow: /en/account" in lines
    assert "Disallow: /en/api/" not in lines  # there is no English API
    assert client.get("/en/cart").headers.get("X-Robots-Tag") == "noindex, nofollow"
