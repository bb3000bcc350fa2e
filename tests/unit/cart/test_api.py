"""The cart API as a buyer's phone uses it: grouped by shop, honest about what cannot be bought."""

from __future__ import annotations

import pytest


def _lines(cart) -> dict[int, dict]:
    return {item["listing_id"]: item for group in cart["shops"] for item in group["items"]}


def test_items_of_two_shops_are_grouped_by_shop_with_subtotals(api, market, buyer):
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    batik = market.approved_listing(sari, price_idr=350_000, stock=3)
    mug = market.approved_listing(budi, title="Mug keramik", price_idr=75_000, stock=10)
    assert api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": batik["id"], "quantity": 2}).status_code == 200
    cart = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": mug["id"]}).json
    assert [g["shop"]["id"] for g in cart["shops"]] == [sari.shop_id, budi.shop_id]
    assert [g["subtotal_idr"] for g in cart["shops"]] == [700_000, 75_000]
    assert cart["subtotal_idr"] == 775_000 and cart["item_count"] == 3 and cart["has_problems"] is False
    assert _lines(cart)[batik["id"]]["line_total_idr"] == 700_000
    assert api.get("/api/v1/cart", as_=buyer).json == cart


def test_adding_again_adds_up_and_never_beyond_the_stock(api, market, buyer):
    listing = market.approved_listing(market.seller(), stock=3)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 2})
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 2})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "insufficient_stock"
    assert "quantity" in resp.json["error"]["fields"]
    cart = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1}).json
    assert _lines(cart)[listing["id"]]["quantity"] == 3


def test_change_and_remove(api, market, buyer):
    listing = market.approved_listing(market.seller(), stock=5)
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"]})
    cart = api.patch(f"/api/v1/cart/items/{listing['id']}", as_=buyer, json={"quantity": 4}).json
    assert _lines(cart)[listing["id"]]["quantity"] == 4
    assert api.patch(f"/api/v1/cart/items/{listing['id']}", as_=buyer, json={"quantity": 6}).status_code == 409
    assert api.delete(f"/api/v1/cart/items/{listing['id']}", as_=buyer).json["shops"] == []
    assert api.delete(f"/api/v1/cart/items/{listing['id']}", as_=buyer).status_code == 404


def test_only_approved_listings_can_be_added(api, market, buyer):
    pending = market.listing(market.seller())
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": pending["id"]})
    assert resp.status_code == 404 and resp.json["error"]["fields"] == {"listing_id": ["This product is not for sale."]}
    assert api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": 999_999}).status_code == 404
    assert api.get("/api/v1/cart", as_=buyer).json["shops"] == []


@pytest.mark.parametrize("body, field", [
    ({"listing_id": "1"}, "listing_id"),
    ({"listing_id": 1, "quantity": 0}, "quantity"),
    ({"listing_id": 1, "quantity": 101}, "quantity"),
    ({"listing_id": 1, "quantity": 1.5}, "quantity"),
    ({"quantity": 1}, "listing_id"),
    ({"listing_id": 1, "colour": "red"}, "colour"),
])
def test_bad_input_is_422_naming_the_field(api, buyer, body, field):
    resp = api.post("/api/v1/cart/items", as_=buyer, json=body)
    assert resp.status_code == 422 and field in resp.json["error"]["fields"]


def test_the_cart_shows_what_changed_since_the_buyer_added_it(api, market, buyer):
    seller = market.seller()
    sold_out, withdrawn, repriced = (market.approved_listing(seller, title=t, stock=2) for t in ("Tas", "Topi", "Kain"))
    for listing in (sold_out, withdrawn, repriced):
        api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"]})
    api.patch(f"/api/v1/listings/{sold_out['id']}", as_=seller, json={"stock": 0})
    api.post(f"/api/v1/listings/{withdrawn['id']}/withdraw", as_=seller)
    api.patch(f"/api/v1/listings/{repriced['id']}", as_=seller, json={"price_idr": 390_000})  # back to review…
    cart = api.get("/api/v1/cart", as_=buyer).json
    assert _lines(cart)[repriced["id"]]["problems"] == ["unavailable"]
    market.approve(repriced["id"])  # …and public again, at the new price
    cart = api.get("/api/v1/cart", as_=buyer).json
    lines = _lines(cart)
    assert cart["has_problems"] is True
    assert lines[sold_out["id"]]["problems"] == ["sold_out"]
    assert lines[withdrawn["id"]]["problems"] == ["unavailable"]
    assert lines[repriced["id"]]["problems"] == ["price_changed"]
    assert (lines[repriced["id"]]["seen_price_idr"], lines[repriced["id"]]["unit_price_idr"]) == (350_000, 390_000)
    # Changing the quantity accepts the new price.
    cart = api.patch(f"/api/v1/cart/items/{repriced['id']}", as_=buyer, json={"quantity": 1}).json
    assert _lines(cart)[repriced["id"]]["problems"] == []


def test_carts_are_private(api, market, buyer):
    listing = market.approved_listing(market.seller())
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"]})
    other = api.make_user("buyer")
    assert api.get("/api/v1/cart", as_=other).json["shops"] == []
    assert api.delete(f"/api/v1/cart/items/{listing['id']}", as_=other).status_code == 404
    assert len(api.get("/api/v1/cart", as_=buyer).json["shops"]) == 1
