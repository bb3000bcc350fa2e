"""Search with variants: price filters and sorting read the lowest price of a variant in stock, and
the cards say "mulai Rp …" ("from Rp …") when the variants' prices differ."""

from __future__ import annotations

from html import unescape

from tests.unit.listings.test_variants_api import shirt

URL = "/api/v1/listings"


def test_filters_and_sort_use_the_lowest_available_variant_price(api, market, client):
    seller = market.seller()
    # sizes at 150.000 (sold out), 200.000 and 250.000: it sells from 200.000
    body = api.post("/api/v1/listings", as_=seller, json=shirt(title="Kemeja batik")).json
    market.approve(body["id"])
    plain = market.approved_listing(seller, title="Tas anyaman", price_idr=180_000)

    def found(**params):
        resp = api.get(URL, query_string=params)
        assert resp.status_code == 200, resp.json
        return [item["id"] for item in resp.json["items"]]

    assert found(min_price=190_000) == [body["id"]]
    assert found(max_price=160_000) == [], "the 150.000 size is sold out: it is not the price"
    assert found(sort="price_asc") == [plain["id"], body["id"]]
    assert found(sort="price_desc") == [body["id"], plain["id"]]
    cards = {item["id"]: item for item in api.get(URL).json["items"]}
    assert (cards[body["id"]]["price_idr"], cards[body["id"]]["price_from"]) == (200_000, True)
    assert cards[plain["id"]]["price_from"] is False

    page = unescape(client.get("/search").get_data(as_text=True))
    assert "mulai Rp 200.000" in page and "mulai Rp 180.000" not in page
    assert "from Rp 200.000" in unescape(client.get("/en/search").get_data(as_text=True))
