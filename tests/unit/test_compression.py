"""Pages, stylesheets and JSON travel compressed to a browser that asks for it; photos and tiny answers
do not; a compressed page is still revalidated with a 304."""

from __future__ import annotations

import gzip

import brotli


def test_a_page_is_brotli_or_gzip_as_the_browser_asks_and_reads_the_same(client, market):
    market.approved_listing(market.seller(), title="Tenun ikat Sumba")
    plain = client.get("/")
    assert "Content-Encoding" not in plain.headers  # a client that asks for nothing gets it plain
    br = client.get("/", headers={"Accept-Encoding": "gzip, deflate, br"})
    assert br.headers["Content-Encoding"] == "br" and "Accept-Encoding" in br.headers["Vary"]
    assert brotli.decompress(br.data) == plain.data
    assert len(br.data) * 2 < len(plain.data)
    gz = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert gz.headers["Content-Encoding"] == "gzip" and gzip.decompress(gz.data) == plain.data


def test_css_and_json_are_compressed_too(client):
    with client.get("/static/site.css") as resp:
        plain = resp.data
    with client.get("/static/site.css", headers={"Accept-Encoding": "gzip"}) as css:
        assert css.status_code == 200 and css.headers.get("Content-Encoding") == "gzip"
        assert gzip.decompress(css.data) == plain
    api = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert api.headers.get("Content-Encoding") == "gzip"


def test_small_answers_and_photos_stay_as_they_are(client):
    assert "Content-Encoding" not in client.get("/healthz", headers={"Accept-Encoding": "gzip"}).headers
    with client.get("/static/favicon.svg", headers={"Accept-Encoding": "gzip"}) as icon:
        assert icon.status_code == 200  # tiny: below the threshold or compressed, never broken
        if "Content-Encoding" in icon.headers:
            assert gzip.decompress(icon.data).startswith(b"<svg")


def test_a_compressed_page_is_revalidated_with_a_304(client, market):
    market.approved_listing(market.seller())
    first = client.get("/", headers={"Accept-Encoding": "br"})
    etag = first.headers["ETag"]
    assert etag.endswith(':br"')
    again = client.get("/", headers={"Accept-Encoding": "br", "If-None-Match": etag})
    assert again.status_code == 304
