"""Listing variants through the API: create, read, replace on PATCH, bad input, the review rule."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.listings.models import Listing
from tests.unit.listings.helpers import listing_body


def shirt(**overrides: Any) -> dict[str, Any]:
    """A batik shirt in two sizes and two colours, without a listing-level price or stock."""
    body = listing_body(**overrides)
    del body["price_idr"], body["stock"]
    body.setdefault("variants", [
        {"options": {"ukuran": "M", "warna": "Merah"}, "price_idr": 200_000, "stock": 2, "sku": "BTK-M-R"},
        {"options": {"ukuran": "M", "warna": "Biru"}, "price_idr": 200_000, "stock": 0},
        {"options": {"ukuran": "L", "warna": "Merah"}, "price_idr": 250_000, "stock": 1},
        {"options": {"ukuran": "L", "warna": "Biru"}, "price_idr": 150_000, "stock": 0},
    ])
    return body


def create(api, seller, body) -> dict[str, Any]:
    resp = api.post("/api/v1/listings", as_=seller, json=body)
    assert resp.status_code == 201, resp.json
    return resp.json


def test_a_listing_with_variants_shows_them_with_the_sum_of_stock_and_the_lowest_price_in_stock(api, market):
    body = create(api, market.seller(), shirt())
    assert [(v["options"], v["price_idr"], v["stock"]) for v in body["variants"]] == [
        ({"ukuran": "M", "warna": "Merah"}, 200_000, 2), ({"ukuran": "M", "warna": "Biru"}, 200_000, 0),
        ({"ukuran": "L", "warna": "Merah"}, 250_000, 1), ({"ukuran": "L", "warna": "Biru"}, 150_000, 0)]
    assert body["variants"][0]["sku"] == "BTK-M-R" and body["variants"][1]["sku"] is None
    assert body["stock"] == 3
    assert body["price_idr"] == 200_000, "the 150.000 variant is sold out: the lowest price in stock"
    assert body["price_from"] is True
    assert all(isinstance(v["id"], int) for v in body["variants"])


def test_a_listing_without_variants_is_as_before(api, market):
    body = create(api, market.seller(), listing_body())
    assert body["variants"] == [] and body["price_from"] is False and body["stock"] == 3


def _variants(**changes: Any) -> list[dict[str, Any]]:
    return [{"options": {"ukuran": "S"}, "price_idr": 100_000, "stock": 1, **changes}]


BAD_VARIANTS = [
    # options with different names
    ([{"options": {"ukuran": "S"}, "price_idr": 100_000, "stock": 1},
      {"options": {"warna": "Biru"}, "price_idr": 100_000, "stock": 1}], "variants"),
    # a repeated combination (case does not make it another one)
    ([{"options": {"ukuran": "S"}, "price_idr": 100_000, "stock": 1},
      {"options": {"ukuran": "s"}, "price_idr": 120_000, "stock": 1}], "variants"),
    # more than two option names
    ([{"options": {"ukuran": "S", "warna": "Biru", "motif": "Parang"}, "price_idr": 100_000, "stock": 1}], "variants"),
    ([{"options": {}, "price_idr": 100_000, "stock": 1}], "variants"),
    (_variants(price_idr=999), "variants"), (_variants(price_idr=1_000_000_001), "variants"),
    (_variants(stock=-1), "variants"), (_variants(stock=100_001), "variants"), (_variants(stock="1"), "variants"),
    (_variants(options={"ukuran": ""}), "variants"), (_variants(options={"ukuran": 3}), "variants"),
    (_variants(sku="x" * 65), "variants"), (_variants(image_id=123456), "variants"),
    (_variants(colour="red"), "variants"),
]


@pytest.mark.parametrize("variants,field", BAD_VARIANTS)
def test_bad_variants_are_422_naming_the_field_and_write_nothing(api, market, db_session, variants, field):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller, json=shirt(variants=variants))
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error" and field in resp.json["error"]["fields"], resp.json
    db_session.rollback()
    assert db_session.scalar(select(func.count(Listing.id))) == 0


def test_a_bad_variant_price_names_the_variant_and_its_field(api, market):
    resp = api.post("/api/v1/listings", as_=market.seller(), json=shirt(variants=_variants(price_idr=5)))
    assert resp.json["error"]["fields"]["variants"] == {"0": {"price_idr": ["From Rp 1.000 to Rp 1.000.000.000."]}}


def test_price_or_stock_beside_variants_is_refused(api, market):
    for name in ("price_idr", "stock"):
        resp = api.post("/api/v1/listings", as_=market.seller(), json={**shirt(), name: 5000})
        assert resp.status_code == 422 and name in resp.json["error"]["fields"], resp.json


def test_a_photo_of_another_listing_is_refused(api, market):
    seller = market.seller()
    other = market.listing(seller)
    image_id = market.add_image(seller, other["id"]).json["id"]
    mine = create(api, seller, shirt())
    resp = api.patch(f"/api/v1/listings/{mine['id']}", as_=seller, json={"variants": _variants(image_id=image_id)})
    assert resp.status_code == 422 and resp.json["error"]["fields"]["variants"] == {
        "0": {"image_id": ["Choose one of this listing's photos."]}}
    own_image = market.add_image(seller, mine["id"]).json["id"]
    resp = api.patch(f"/api/v1/listings/{mine['id']}", as_=seller, json={"variants": _variants(image_id=own_image)})
    assert resp.status_code == 200 and resp.json["variants"][0]["image_id"] == own_image


def test_patch_replaces_the_set_keeping_the_ids_of_unchanged_options(api, market):
    seller = market.seller()
    body = create(api, seller, shirt())
    ids = {v["options"]["ukuran"] + v["options"]["warna"]: v["id"] for v in body["variants"]}
    resp = api.patch(f"/api/v1/listings/{body['id']}", as_=seller, json={"variants": [
        {"options": {"warna": "Merah", "ukuran": "M"}, "price_idr": 210_000, "stock": 5},
        {"options": {"ukuran": "XL", "warna": "Merah"}, "price_idr": 260_000, "stock": 1},
    ]})
    assert resp.status_code == 200, resp.json
    variants = resp.json["variants"]
    assert variants[0]["id"] == ids["MMerah"] and variants[0]["price_idr"] == 210_000
    assert variants[1]["id"] not in ids.values()
    assert resp.json["stock"] == 6 and resp.json["price_idr"] == 210_000
    # the listing shows only the variants on sale
    assert len(api.get(f"/api/v1/listings/{body['id']}", as_=seller).json["variants"]) == 2


def test_price_and_stock_of_a_variant_listing_are_set_per_variant(api, market):
    seller = market.seller()
    body = create(api, seller, shirt())
    resp = api.patch(f"/api/v1/listings/{body['id']}", as_=seller, json={"price_idr": 90_000})
    assert resp.status_code == 422 and "price_idr" in resp.json["error"]["fields"]


def _approved_shirt(api, market):
    seller = market.seller()
    body = create(api, seller, shirt())
    market.approve(body["id"])
    return seller, body


def _set(variants: list[dict[str, Any]], index: int, **changes: Any) -> list[dict[str, Any]]:
    out = [{"options": v["options"], "price_idr": v["price_idr"], "stock": v["stock"], "sku": v["sku"]}
           for v in variants]
    out[index].update(changes)
    return out


@pytest.mark.parametrize("change", [{"price_idr": 199_000}, {"options": {"ukuran": "M", "warna": "Hijau"}}])
def test_a_variant_price_or_options_change_reenters_moderation(api, market, change):
    seller, body = _approved_shirt(api, market)
    resp = api.patch(f"/api/v1/listings/{body['id']}", as_=seller, json={"variants": _set(body["variants"], 0, **change)})
    assert resp.status_code == 200 and resp.json["status"] == "pending_review"
    assert resp.json["revision"] > body["revision"]
    assert market.types(body["id"])[-1] == "listing.submitted"


def test_a_variant_stock_change_does_not(api, market):
    seller, body = _approved_shirt(api, market)
    before = market.revision(body["id"])
    resp = api.patch(f"/api/v1/listings/{body['id']}", as_=seller,
                     json={"variants": _set(body["variants"], 1, stock=7, sku="BTK-M-B")})
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    assert resp.json["stock"] == 10 and market.revision(body["id"]) == before
    assert resp.json["variants"][1]["stock"] == 7


def test_removing_a_variant_reenters_moderation(api, market):
    seller, body = _approved_shirt(api, market)
    resp = api.patch(f"/api/v1/listings/{body['id']}", as_=seller, json={"variants": _set(body["variants"], 0)[:3]})
    assert resp.status_code == 200 and resp.json["status"] == "pending_review" and len(resp.json["variants"]) == 3
