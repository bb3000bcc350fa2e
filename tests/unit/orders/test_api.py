"""Checkout and orders through the JSON API, as a buyer in Makassar buying from two Tangerang Selatan
artisans would: totals with each shop's shipping from the rate table, 4xx naming what is wrong."""

from __future__ import annotations

import pytest

from marketplace.shipping.rates import load_rates

ADDRESS = {"recipient": "Rina Wulandari", "phone": "0812-3456-7890", "line1": "Jl. Melati No. 3, RT 02/RW 05",
           "city": "Makassar", "province": "sulawesi selatan", "postal_code": "90111"}


def fee(zone: str, kg: int) -> int:
    rate = load_rates().for_zone(zone)
    return rate.first_kg_idr + (kg - 1) * rate.additional_kg_idr


def _add(api, buyer, listing, quantity=1):
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": quantity})
    assert resp.status_code == 200, resp.json


def test_checkout_of_two_shops_prices_each_parcel_and_the_buyer_sees_the_order(api, market, buyer):
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    batik = market.approved_listing(sari, price_idr=350_000, stock=3, weight_grams=400)
    tas = market.approved_listing(budi, title="Tas anyaman pandan", price_idr=120_000, stock=4, weight_grams=700)
    _add(api, buyer, batik, 2)
    _add(api, buyer, tas, 1)
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert resp.status_code == 201, resp.json
    order = resp.json
    assert order["status"] == "pending_payment"
    first, second = order["seller_orders"]
    assert (first["shop_id"], first["subtotal_idr"], first["weight_grams"]) == (sari.shop_id, 700_000, 800)
    assert first["shipping_zone"] == "outside_java" and first["shipping_idr"] == fee("outside_java", 1)
    assert (second["shop_id"], second["subtotal_idr"], second["shipping_idr"]) == (budi.shop_id, 120_000, fee("outside_java", 1))
    assert order["subtotal_idr"] == 820_000
    assert order["total_idr"] == 820_000 + first["shipping_idr"] + second["shipping_idr"]
    assert order["shipping_address"] == {**ADDRESS, "phone": "081234567890", "province": "Sulawesi Selatan"}
    assert [i["line_total_idr"] for i in first["items"]] == [700_000]

    assert api.get("/api/v1/cart", as_=buyer).json["item_count"] == 0
    assert api.get(f"/api/v1/listings/{batik['id']}").json["stock"] == 1
    assert api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json == order
    assert [o["id"] for o in api.get("/api/v1/orders", as_=buyer).json["items"]] == [order["id"]]
    timeline = api.get(f"/api/v1/orders/{order['id']}/events", as_=buyer).json["items"]
    assert [e["type"] for e in timeline] == ["order.placed"]
    assert api.get(f"/api/v1/orders/{order['id']}/events", as_=sari).status_code == 200  # a shop in the order
    assert api.get(f"/api/v1/orders/{order['id']}/events", as_=market.admin).status_code == 200


def test_same_city_is_cheaper_than_across_the_sea(api, market, buyer):
    listing = market.approved_listing(market.seller(), weight_grams=1_200, stock=5)
    _add(api, buyer, listing)
    near = {**ADDRESS, "city": "Tangerang Selatan", "province": "Banten"}
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": near}).json
    assert order["seller_orders"][0]["shipping_zone"] == "same_city"
    assert order["shipping_idr"] == fee("same_city", 2)  # 1.2 kg is billed as 2 kg


def test_someone_elses_order_is_404(api, market, buyer):
    listing = market.approved_listing(market.seller())
    _add(api, buyer, listing)
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    stranger = api.make_user("buyer")
    assert api.get(f"/api/v1/orders/{order['id']}", as_=stranger).status_code == 404
    assert api.get(f"/api/v1/orders/{order['id']}/events", as_=stranger).status_code == 404
    other_artisan = market.seller(kelurahan="Pamulang Barat")
    assert api.get(f"/api/v1/orders/{order['id']}/events", as_=other_artisan).status_code == 404


def test_empty_cart_and_cart_problems_are_409_and_change_nothing(api, market, buyer, db_session):
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "cart_empty"
    seller = market.seller()
    listing = market.approved_listing(seller, stock=2)
    _add(api, buyer, listing, 2)
    api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 1})
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "cart_has_problems"
    assert resp.json["error"]["fields"] == {str(listing["id"]): ["insufficient_stock"]}
    assert api.get("/api/v1/orders", as_=buyer).json["items"] == []
    assert api.get("/api/v1/cart", as_=buyer).json["item_count"] == 2
    assert market.events("listing.sold_out", key=listing["id"]) == []


@pytest.mark.parametrize("change, field", [
    ({"province": "Atlantis"}, "province"),
    ({"postal_code": "1234"}, "postal_code"),
    ({"phone": "12345"}, "phone"),
    ({"recipient": "A"}, "recipient"),
    ({"line1": ""}, "line1"),
    ({"city": None}, "city"),
])
def test_a_bad_address_is_422_naming_the_field(api, market, buyer, change, field):
    listing = market.approved_listing(market.seller())
    _add(api, buyer, listing)
    resp = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": {**ADDRESS, **change}})
    assert resp.status_code == 422
    assert field in resp.json["error"]["fields"]["shipping_address"]
    assert api.get("/api/v1/cart", as_=buyer).json["item_count"] == 1


def test_a_checkout_sends_the_same_few_statements_whatever_the_cart(api, app, market, buyer, backend):
    """A buyer waits on every round trip to the database (issue #15): on PostgreSQL a checkout is the
    token, the cart taken with its listings, all lines' stock, the whole order, its event, whatever
    the cart holds; SQLite (in-process: a statement is no round trip) writes row by row. A lazy load
    or a per-line query slipping in shows up here first."""
    from sqlalchemy import event

    db = app.extensions["db"]
    engines = {db.engine, db.write_engine}
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    listings = [market.approved_listing(seller, stock=5) for seller in (sari, sari, budi)]

    def statements_of_checkout(lines: list) -> list[str]:
        for listing in lines:
            _add(api, buyer, listing)
        sent: list[str] = []

        def count(_conn, _cursor, statement, *_args):
            if not statement.lstrip().upper().startswith(("BEGIN", "COMMIT", "ROLLBACK")):
                sent.append(statement)

        for engine in engines:
            event.listen(engine, "before_cursor_execute", count)
        try:
            assert api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).status_code == 201
        finally:
            for engine in engines:
                event.remove(engine, "before_cursor_execute", count)
        return sent

    one, three = statements_of_checkout(listings[:1]), statements_of_checkout(listings)
    if backend == "postgresql":
        assert len(one) == len(three) == 5, three
    else:
        # in-process, no round trips: token, cart, listings; a stock UPDATE a line; the order, one
        # INSERT a seller order and an item; the event
        def expected(lines: int, shops: int) -> int:
            return 3 + lines + 1 + shops + lines + 1

        assert (len(one), len(three)) == (expected(1, 1), expected(3, 2)), three
