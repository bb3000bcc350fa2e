"""The RSS and Atom feeds as a scheduler reads them: valid by their specs, newest approval first,
filtered, hostile titles escaped, links tagged ``utm_source=feed``, photos as enclosures, and cached."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from urllib.parse import parse_qs, urlsplit
from xml.etree import ElementTree as ET

import pytest

A = "{http://www.w3.org/2005/Atom}"
T0 = datetime(2026, 11, 1, 8, 0, tzinfo=timezone.utc)


@pytest.fixture
def shelf(catalog):
    """Three approved listings in two places and two categories, one pending, approved a day apart."""
    cipayung = catalog.shop(name="Toko Cipayung")
    bandung = catalog.shop(city="Bandung", kelurahan="Cihapit", name="Toko Cihapit")
    old = catalog.listing(cipayung, title="Batik lama", category="batik", approved_at=T0, images=1)
    mid = catalog.listing(bandung, title="Tenun Cihapit", category="tenun", approved_at=T0 + timedelta(days=1))
    new = catalog.listing(cipayung, title="Batik <script>alert(1)</script> & \x07co", category="batik",
                          price_idr=150_000, approved_at=T0 + timedelta(days=2), images=1)
    catalog.listing(cipayung, title="Belum disetujui", status="pending_review")
    return {"old": old, "mid": mid, "new": new}


def _rss(client, query=""):
    resp = client.get(f"/feeds/listings.rss{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/rss+xml"
    return resp, ET.fromstring(resp.data)


def _atom(client, query=""):
    resp = client.get(f"/feeds/listings.atom{query}")
    assert resp.status_code == 200, resp.get_data(as_text=True)
    assert resp.mimetype == "application/atom+xml"
    return resp, ET.fromstring(resp.data)


def test_rss_has_the_required_elements_newest_approval_first(client, shelf):
    _, root = _rss(client)
    assert root.tag == "rss" and root.get("version") == "2.0"
    channel = root.find("channel")
    for required in ("title", "link", "description"):
        assert (channel.findtext(required) or "").strip(), required
    items = channel.findall("item")
    assert [i.findtext("guid").rsplit("/", 1)[-1] for i in items] == [
        str(shelf["new"].id), str(shelf["mid"].id), str(shelf["old"].id)]
    first = items[0]
    assert first.findtext("title") == "Batik <script>alert(1)</script> & co"  # escaped in the XML, intact read back
    assert "Rp 150.000" in first.findtext("description") and "Toko Cipayung" in first.findtext("description")
    assert first.findtext("pubDate").endswith("GMT")
    link = urlsplit(first.findtext("link"))
    assert link.path == f"/listings/{shelf['new'].id}" and parse_qs(link.query)["utm_source"] == ["feed"]
    enclosure = first.find("enclosure")
    assert enclosure.get("type") == "image/jpeg" and enclosure.get("length").isdigit()
    assert enclosure.get("url").startswith("http") and items[1].find("enclosure") is None


def test_hostile_title_is_escaped_in_the_bytes(client, shelf):
    resp, _ = _rss(client)
    assert b"<script>" not in resp.data and b"&lt;script&gt;" in resp.data and b"\x07" not in resp.data


def test_an_rss_reader_rendering_the_description_as_html_shows_the_artisans_text_not_markup(client, catalog):
    """Issue #30: a reader decodes <description> once and renders the result as HTML, so the XML must
    carry the text escaped twice; decoded once it is still escaped HTML that shows the characters."""
    shop = catalog.shop(name="Toko <b>Tebal</b>")
    catalog.listing(shop, title="Tas", description='Tas <img src=x onerror="alert(1)"> & dompet', price_idr=150_000,
                    approved_at=T0)
    _, root = _rss(client)
    description = root.find("channel").find("item").findtext("description")
    assert "<img" not in description and "<b>" not in description
    assert "Tas &lt;img src=x onerror=\"alert(1)\"&gt; &amp; dompet" in description
    assert "Toko &lt;b&gt;Tebal&lt;/b&gt;" in description and "Rp 150.000" in description


def test_atom_has_the_required_feed_and_entry_elements(client, shelf):
    _, root = _atom(client)
    assert root.tag == f"{A}feed"
    for required in ("id", "title", "updated"):
        assert (root.findtext(f"{A}{required}") or "").strip(), required
    assert root.find(f"{A}author/{A}name").text and root.find(f"{A}link[@rel='self']") is not None
    entries = root.findall(f"{A}entry")
    assert len(entries) == 3
    for entry in entries:
        for required in ("id", "title", "updated"):
            assert (entry.findtext(f"{A}{required}") or "").strip(), required
        assert entry.find(f"{A}author/{A}name").text
        assert entry.find(f"{A}link[@rel='alternate']").get("href")
        datetime.fromisoformat(entry.findtext(f"{A}updated"))
    newest = entries[0]
    assert newest.find(f"{A}author/{A}name").text == "Toko Cipayung"
    assert newest.find(f"{A}link[@rel='enclosure']").get("type") == "image/jpeg"
    assert "utm_source=feed" in newest.find(f"{A}link[@rel='alternate']").get("href")


@pytest.mark.parametrize("query, expected", [
    ("?city=Bandung", ["mid"]),
    ("?kelurahan=Cipayung", ["new", "old"]),
    ("?category=batik", ["new", "old"]),
    ("?city=Bandung&category=batik", []),
    ("?city=Atlantis", []),
])
def test_filters_narrow_both_feeds(client, shelf, query, expected):
    _, rss = _rss(client, query)
    ids = [i.findtext("guid").rsplit("/", 1)[-1] for i in rss.find("channel").findall("item")]
    assert ids == [str(shelf[name].id) for name in expected]
    _, atom = _atom(client, query)
    assert len(atom.findall(f"{A}entry")) == len(expected)


@pytest.mark.parametrize("query", ["?category=robot", "?city=" + "x" * 500, "?city=a%00b", "?city=%01%02"])
def test_bad_filters_are_4xx_not_500(client, shelf, query):
    for path in ("/feeds/listings.rss", "/feeds/listings.atom"):
        resp = client.get(path + query)
        assert 400 <= resp.status_code < 500, (path, query, resp.status_code)


@pytest.mark.parametrize("query", ["?kelurahan=a%0Ab", "?city=%3Cx%3E%26"])
def test_odd_but_harmless_filters_give_an_empty_valid_feed(client, shelf, query):
    _, rss = _rss(client, query)
    assert rss.find("channel").findall("item") == []
    _, atom = _atom(client, query)
    assert atom.findall(f"{A}entry") == []


def test_unchanged_feed_answers_304_and_a_new_approval_changes_it(client, catalog, shelf):
    resp, _ = _rss(client)
    etag, modified = resp.headers["ETag"], resp.headers["Last-Modified"]
    assert client.get("/feeds/listings.rss", headers={"If-None-Match": etag}).status_code == 304
    assert client.get("/feeds/listings.rss", headers={"If-Modified-Since": modified}).status_code == 304
    catalog.listing(shelf["new"].shop, title="Baru sekali", approved_at=T0 + timedelta(days=3))
    again = client.get("/feeds/listings.rss", headers={"If-None-Match": etag})
    assert again.status_code == 200 and b"Baru sekali" in again.data


def test_pages_announce_the_feeds(client, shelf):
    html = client.get("/").get_data(as_text=True)
    assert 'rel="alternate" type="application/rss+xml"' in html and "/feeds/listings.rss" in html
