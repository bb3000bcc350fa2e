"""Listings API: create, read, edit, withdraw, resubmit; access rules per role; bad input; events."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.listings.models import Listing
from tests.unit.listings.helpers import listing_body


def count(db, model) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(model))


# --- create ------------------------------------------------------------------------------------------


def test_create_listing_is_pending_and_records_submitted(api, market):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller, json=listing_body())
    assert resp.status_code == 201, resp.json
    body = resp.json
    assert body["status"] == "pending_review" and body["shop_id"] == seller.shop_id
    assert body["price_idr"] == 350_000 and body["fulfilment"] == "ready_to_ship" and body["processing_days"] == 0
    assert body["images"] == [] and body["path"] == f"/listings/{body['id']}"
    [event] = market.events("listing.submitted")
    assert event["key"] == str(body["id"])
    assert event["data"] == {"listing_id": body["id"], "shop_id": seller.shop_id, "title": "Kain batik tulis Ciputat",
                             "price_idr": 350_000, "category": "batik"}


def test_create_made_to_order_with_processing_days(api, market):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller,
                    json=listing_body(fulfilment="made_to_order", processing_days=14, stock=0))
    assert resp.status_code == 201 and resp.json["processing_days"] == 14


def test_create_access_rules(api, market, db_session):
    assert api.post("/api/v1/listings", json=listing_body()).status_code == 401
    for role in ("buyer", "admin"):
        resp = api.post("/api/v1/listings", as_=api.make_user(role), json=listing_body())
        assert resp.status_code == 403, role
    no_shop = api.post("/api/v1/listings", as_=api.make_user("artisan"), json=listing_body())
    assert no_shop.status_code == 409 and no_shop.json["error"]["code"] == "no_shop"
    assert count(db_session, Listing) == 0 and count(db_session, OutboxEvent) == 0


BAD_FIELDS = [
    ("title", "ab"), ("title", "x" * 141), ("title", "   "), ("title", 12), ("title", None),
    ("description", "x" * 5001), ("description", ["a"]),
    ("category", "weapons"), ("category", 3),
    ("price_idr", 999), ("price_idr", 1_000_000_001), ("price_idr", "350000"), ("price_idr", 350000.0),
    ("price_idr", 350000.5), ("price_idr", True), ("price_idr", None),
    ("stock", -1), ("stock", 100_001), ("stock", "3"), ("stock", 1.5), ("stock", False),
    ("weight_grams", 0), ("weight_grams", 50_001), ("weight_grams", "400"),
    ("fulfilment", "dropship"), ("processing_days", 91), ("processing_days", -1), ("processing_days", "2"),
    ("unknown_field", "x"), ("status", "approved"), ("shop_id", 1),
]


@pytest.mark.parametrize("field,value", BAD_FIELDS)
def test_create_rejects_bad_field(api, market, db_session, field, value):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller, json=listing_body(**{field: value}))
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error"
    assert field in resp.json["error"]["fields"], resp.json
    assert count(db_session, Listing) == 0 and count(db_session, OutboxEvent) == 0


@pytest.mark.parametrize("field", ["title", "description", "category", "price_idr", "stock", "weight_grams"])
def test_create_requires_field(api, market, field):
    body = listing_body()
    del body[field]
    resp = api.post("/api/v1/listings", as_=market.seller(), json=body)
    assert resp.status_code == 422 and field in resp.json["error"]["fields"]


def test_made_to_order_needs_processing_days(api, market):
    seller = market.seller()
    for extra in ({}, {"processing_days": 0}):
        resp = api.post("/api/v1/listings", as_=seller, json=listing_body(fulfilment="made_to_order", **extra))
        assert resp.status_code == 422 and "processing_days" in resp.json["error"]["fields"]


def test_create_non_json_and_malformed_body(api, market, db_session):
    seller = market.seller()
    resp = api.post("/api/v1/listings", as_=seller, data="title=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    resp = api.post("/api/v1/listings", as_=seller, data="{nope", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_json"
    resp = api.post("/api/v1/listings", as_=seller, json=[listing_body()])
    assert resp.status_code == 422
    assert count(db_session, Listing) == 0


def test_title_is_trimmed(api, market):
    resp = api.post("/api/v1/listings", as_=market.seller(), json=listing_body(title="  Tas anyaman  "))
    assert resp.status_code == 201 and resp.json["title"] == "Tas anyaman"


# --- read --------------------------------------------------------------------------------------------


def test_get_pending_listing_owner_and_admin_only(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    path = f"/api/v1/listings/{listing['id']}"
    assert api.get(path, as_=seller).json["status"] == "pending_review"
    assert api.get(path, as_=market.admin).status_code == 200
    for who in (None, api.make_user("buyer"), market.seller()):
        resp = api.get(path, as_=who)
        assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


def test_get_approved_listing_is_public(api, market):
    listing = market.approved_listing(market.seller())
    for who in (None, api.make_user("buyer"), market.seller()):
        resp = api.get(f"/api/v1/listings/{listing['id']}", as_=who)
        assert resp.status_code == 200 and resp.json["status"] == "approved"


def test_get_unknown_listing_is_404(api):
    assert api.get("/api/v1/listings/999999").status_code == 404


def test_seller_listings_show_status_and_rejection_reason(api, market):
    seller = market.seller()
    first = market.listing(seller, title="Tenun ikat")
    second = market.listing(seller, title="Keramik Plered")
    market.reject(first["id"], "Foto kurang jelas")
    market.listing(market.seller(), title="Someone else's")
    resp = api.get("/api/v1/seller/listings", as_=seller)
    assert resp.status_code == 200
    by_id = {item["id"]: item for item in resp.json["items"]}
    assert set(by_id) == {first["id"], second["id"]}
    assert by_id[first["id"]]["status"] == "rejected"
    assert by_id[first["id"]]["rejection_reason"] == "Foto kurang jelas"
    assert by_id[second["id"]]["status"] == "pending_review"


def test_seller_listings_access(api, market):
    assert api.get("/api/v1/seller/listings").status_code == 401
    assert api.get("/api/v1/seller/listings", as_=api.make_user("buyer")).status_code == 403
    assert api.get("/api/v1/seller/listings", as_=api.make_user("artisan")).json == {"items": []}


# --- edit --------------------------------------------------------------------------------------------


def test_patch_pending_listing_records_updated_only(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 9, "title": "Batik tulis baru"})
    assert resp.status_code == 200, resp.json
    assert resp.json["stock"] == 9 and resp.json["status"] == "pending_review"
    [updated] = market.events("listing.updated")
    assert updated["data"] == {"listing_id": listing["id"], "shop_id": seller.shop_id,
                               "changed_fields": ["stock", "title"], "status": "pending_review"}
    assert market.types(listing["id"]) == ["listing.submitted", "listing.updated"]


def test_patch_nothing_changed_records_nothing(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    assert api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 3}).status_code == 200
    assert api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={}).status_code == 422  # nothing to change
    assert market.types(listing["id"]) == ["listing.submitted"]


@pytest.mark.parametrize("change", [{"title": "Judul baru sekali"}, {"description": "Baru"}, {"price_idr": 400_000}])
def test_reviewed_edit_of_approved_listing_goes_back_to_review(api, market, change):
    seller = market.seller()
    listing = market.approved_listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json=change)
    assert resp.status_code == 200 and resp.json["status"] == "pending_review"
    assert market.types(listing["id"]) == ["listing.submitted", "listing.approved", "listing.updated", "listing.submitted"]
    updated = market.events("listing.updated")[-1]["data"]
    assert updated["changed_fields"] == list(change) and updated["status"] == "pending_review"
    # it is no longer public
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404


def test_stock_edit_of_approved_listing_stays_public_and_sold_out_is_recorded(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 0, "weight_grams": 500})
    assert resp.status_code == 200 and resp.json["status"] == "approved"
    [sold_out] = market.events("listing.sold_out")
    assert sold_out["key"] == str(listing["id"])
    assert sold_out["data"] == {"listing_id": listing["id"], "shop_id": seller.shop_id}
    assert market.events("listing.updated")[-1]["data"]["status"] == "approved"


def test_edit_of_rejected_listing_resubmits_it(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    market.reject(listing["id"], "Harga salah")
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 5})
    assert resp.json["status"] == "pending_review" and resp.json["rejection_reason"] is None
    assert market.types(listing["id"])[-2:] == ["listing.updated", "listing.submitted"]


@pytest.mark.parametrize("field,value", [("price_idr", "1"), ("stock", -5), ("title", "x"), ("nope", 1), ("fulfilment", None)])
def test_patch_rejects_bad_field(api, market, db_session, field, value):
    seller = market.seller()
    listing = market.listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={field: value})
    assert resp.status_code == 422 and field in resp.json["error"]["fields"]
    assert market.types(listing["id"]) == ["listing.submitted"]


def test_patch_to_made_to_order_without_days_is_422(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"fulfilment": "made_to_order"})
    assert resp.status_code == 422 and "processing_days" in resp.json["error"]["fields"]
    ok = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"fulfilment": "made_to_order", "processing_days": 7})
    assert ok.status_code == 200


def test_patch_access_rules(api, market, db_session):
    seller = market.seller()
    hidden = market.listing(seller)
    public = market.approved_listing(seller)
    for listing, other_status in ((hidden, 404), (public, 403)):
        path = f"/api/v1/listings/{listing['id']}"
        assert api.patch(path, json={"stock": 1}).status_code == 401
        assert api.patch(path, as_=api.make_user("buyer"), json={"stock": 1}).status_code == 403
        assert api.patch(path, as_=market.admin, json={"stock": 1}).status_code == 403
        assert api.patch(path, as_=market.seller(), json={"stock": 1}).status_code == other_status
    assert api.patch("/api/v1/listings/999999", as_=seller, json={"stock": 1}).status_code == 404
    db_session.rollback()
    assert {row.stock for row in db_session.scalars(select(Listing))} == {3}


# --- withdraw / resubmit -----------------------------------------------------------------------------


def test_withdraw_and_resubmit(api, market):
    seller = market.seller()
    listing = market.approved_listing(seller)
    path = f"/api/v1/listings/{listing['id']}"
    resp = api.post(f"{path}/withdraw", as_=seller)
    assert resp.status_code == 200 and resp.json["status"] == "withdrawn"
    assert api.get(path).status_code == 404
    assert api.post(f"{path}/withdraw", as_=seller).status_code == 409
    withdrawn = market.events("listing.updated")[-1]["data"]
    assert withdrawn["changed_fields"] == ["status"] and withdrawn["status"] == "withdrawn"
    resp = api.post(f"{path}/submit", as_=seller)
    assert resp.status_code == 200 and resp.json["status"] == "pending_review"
    assert api.post(f"{path}/submit", as_=seller).status_code == 409
    assert market.types(listing["id"])[-2:] == ["listing.updated", "listing.submitted"]


def test_withdraw_access_rules(api, market):
    seller = market.seller()
    hidden = market.listing(seller)
    public = market.approved_listing(seller)
    for listing, other_status in ((hidden, 404), (public, 403)):
        path = f"/api/v1/listings/{listing['id']}/withdraw"
        assert api.post(path).status_code == 401
        assert api.post(path, as_=api.make_user("buyer")).status_code == 403
        assert api.post(path, as_=market.admin).status_code == 403
        assert api.post(path, as_=market.seller()).status_code == other_status
    assert api.get(f"/api/v1/listings/{public['id']}").json["status"] == "approved"


def test_openapi_lists_listing_paths(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    for path in ("/api/v1/listings", "/api/v1/listings/{listing_id}", "/api/v1/listings/{listing_id}/images",
                 "/api/v1/seller/listings", "/api/v1/admin/moderation/queue"):
        assert path in paths, path
