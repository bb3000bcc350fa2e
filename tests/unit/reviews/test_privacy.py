"""§9: a buyer's export carries their reviews, hearts and follows; closing the account drops the hearts
and follows and keeps the review on the product page under no name."""

from __future__ import annotations

from tests.unit.reviews.helpers import buy, review


def test_export_and_closing_the_account(api, app, market):
    bought = buy(api, app, market)
    review_id = review(api, bought, 5, "Mantap").json["id"]
    api.put(f"/api/v1/me/favourites/{bought.listing['id']}", as_=bought.buyer)
    api.put(f"/api/v1/me/following/{bought.listing['shop_id']}", as_=bought.buyer)
    data = api.get("/api/v1/me/export", as_=bought.buyer).json
    assert [(r["id"], r["rating"], r["text"]) for r in data["reviews"]] == [(review_id, 5, "Mantap")]
    assert data["favourites"] == [bought.listing["id"]] and data["following"] == [bought.listing["shop_id"]]

    name = api.get("/api/v1/me", as_=bought.buyer).json["name"]
    assert api.delete("/api/v1/me", as_=bought.buyer, json={"password": bought.buyer.password}).status_code == 200
    shown = api.get(f"/api/v1/listings/{bought.listing['id']}/reviews").json["items"]
    assert [(r["text"], r["buyer_name"]) for r in shown] == [("Mantap", "Pembeli")]
    assert name.split()[0] not in shown[0]["buyer_name"]
