"""A listing that sells out stays findable but says so, and leaves the "in stock" results."""

from __future__ import annotations


def test_sold_out_listings_are_marked_and_left_out_of_available_results(api, client, market, buyer):
    seller = market.seller()
    last_one = market.approved_listing(seller, title="Kain tenun ikat terakhir", stock=1)
    plenty = market.approved_listing(seller, title="Kain tenun ikat biasa", stock=9)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": last_one["id"]})
    from tests.unit.orders.test_api import ADDRESS

    assert api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).status_code == 201
    assert len(market.events("listing.sold_out", key=last_one["id"])) == 1

    everything = api.get("/api/v1/listings", query_string={"q": "tenun ikat"}).json["items"]
    assert {i["id"]: i["sold_out"] for i in everything} == {last_one["id"]: True, plenty["id"]: False}
    available = api.get("/api/v1/listings", query_string={"q": "tenun ikat", "available": "true"}).json
    assert [i["id"] for i in available["items"]] == [plenty["id"]] and available["total"] == 1

    page = client.get("/search?q=tenun+ikat").get_data(as_text=True)
    assert "Kain tenun ikat terakhir" in page and "Habis" in page
    page = client.get("/search?q=tenun+ikat&available=true").get_data(as_text=True)
    assert "Kain tenun ikat terakhir" not in page and "Kain tenun ikat biasa" in page
    assert client.get("/search?available=maybe").status_code == 400
