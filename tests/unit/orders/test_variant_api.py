"""Variants through the cart and checkout API: 422 ``variant_required``, lines per variant, PATCH and
DELETE of a variant's line by ``?variant_id=``, and an order that keeps the size as bought."""

from __future__ import annotations

from tests.unit.listings.test_variants_api import shirt
from tests.unit.orders.test_api import ADDRESS


def _shirt(api, market):
    seller = market.seller()
    body = api.post("/api/v1/listings", as_=seller, json=shirt()).json
    market.approve(body["id"])
    return seller, body, {v["options"]["ukuran"] + v["options"]["warna"]: v["id"] for v in body["variants"]}


def test_the_cart_api_names_variants(api, market, buyer):
    _seller, body, ids = _shirt(api, market)
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": body["id"], "quantity": 1})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "variant_required"
    assert "variant_id" in resp.json["error"]["fields"]
    other = market.approved_listing(market.seller())
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": other["id"], "variant_id": ids["MMerah"]})
    assert resp.status_code == 422 and "variant_id" in resp.json["error"]["fields"]
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": body["id"], "variant_id": 987_654})
    assert resp.status_code == 422 and "variant_id" in resp.json["error"]["fields"]

    for key in ("MMerah", "LMerah"):
        resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": body["id"], "variant_id": ids[key]})
        assert resp.status_code == 200, resp.json
    lines = resp.json["shops"][0]["items"]
    assert [(line["variant_id"], line["variant_label"], line["unit_price_idr"]) for line in lines] == [
        (ids["MMerah"], "ukuran: M, warna: Merah", 200_000), (ids["LMerah"], "ukuran: L, warna: Merah", 250_000)]

    path = f"/api/v1/cart/items/{body['id']}"
    resp = api.patch(f"{path}?variant_id={ids['MMerah']}", as_=buyer, json={"quantity": 2})
    assert resp.status_code == 200 and resp.json["item_count"] == 3
    resp = api.patch(f"{path}?variant_id={ids['LMerah']}", as_=buyer, json={"quantity": 2})
    assert resp.status_code == 409, "one L Merah left"
    assert api.patch(path, as_=buyer, json={"quantity": 1}).status_code == 404, "no line without a variant"
    assert api.patch(f"{path}?variant_id=abc", as_=buyer, json={"quantity": 1}).status_code == 422
    resp = api.delete(f"{path}?variant_id={ids['LMerah']}", as_=buyer)
    assert resp.status_code == 200 and resp.json["item_count"] == 2


def test_an_order_shows_the_variant_as_bought_after_the_listing_changes(api, market, buyer):
    seller, body, ids = _shirt(api, market)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": body["id"], "variant_id": ids["LMerah"]})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    [item] = order["seller_orders"][0]["items"]
    assert (item["variant_id"], item["options"], item["variant_label"]) == (
        ids["LMerah"], {"ukuran": "L", "warna": "Merah"}, "ukuran: L, warna: Merah")
    after = api.get(f"/api/v1/listings/{body['id']}", as_=seller).json
    assert after["stock"] == 2 and after["variants"][2]["stock"] == 0

    renamed = [{"options": {"ukuran": "Large", "warna": "Merah"}, "price_idr": 260_000, "stock": 4}]
    assert api.patch(f"/api/v1/listings/{body['id']}", as_=seller, json={"variants": renamed}).status_code == 200
    [again] = api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json["seller_orders"][0]["items"]
    assert (again["variant_label"], again["unit_price_idr"]) == ("ukuran: L, warna: Merah", 250_000)
