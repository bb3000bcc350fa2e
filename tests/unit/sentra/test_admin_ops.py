"""Sentra, suspension, reports, bulk moderation and the audit log, through the API a client uses."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.audit.models import AdminAction
from tests.unit.listings.helpers import Market


def _actions(db_session, **where):
    db_session.rollback()
    stmt = select(AdminAction).order_by(AdminAction.id)
    for key, value in where.items():
        stmt = stmt.where(getattr(AdminAction, key) == value)
    return list(db_session.scalars(stmt))


def _search_ids(api, **params):
    resp = api.get("/api/v1/listings", query_string=params)
    assert resp.status_code == 200, resp.json
    return {item["id"] for item in resp.json["items"]}


def test_suspension_hides_and_reinstatement_restores_listings(api, client, db_session):
    market = Market(api, db_session)
    seller = market.seller()
    listing = market.approved_listing(seller)
    admin, buyer = market.admin, api.make_user("buyer")
    assert listing["id"] in _search_ids(api)

    resp = api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=admin, json={"reason": "Produk palsu"})
    assert resp.status_code == 200 and resp.json["suspended_at"]
    assert listing["id"] not in _search_ids(api)
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404
    assert client.get(f"/listings/{listing['id']}").status_code == 404
    resp = api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 1})
    assert resp.status_code == 404
    # the artisan's token ended; they may log in again, but only to fulfil open orders
    assert api.get("/api/v1/me", as_=seller).status_code == 401
    resp = api.post("/api/v1/auth/token", json={"email": seller.email, "password": seller.password})
    assert resp.status_code == 200
    seller.token = resp.json["access_token"]
    refused = api.post("/api/v1/listings", as_=seller, json={"title": "x"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "shop_suspended"
    # suspending twice is a clear 409, nothing changed
    again = api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=admin, json={"reason": "Lagi"})
    assert again.status_code == 409 and again.json["error"]["code"] == "already_suspended"

    assert api.post(f"/api/v1/admin/shops/{seller.shop_id}/reinstate", as_=admin).status_code == 200
    assert listing["id"] in _search_ids(api)
    assert client.get(f"/listings/{listing['id']}").status_code == 200
    assert api.post("/api/v1/auth/token", json={"email": seller.email, "password": seller.password}).status_code == 200
    assert api.post(f"/api/v1/admin/shops/{seller.shop_id}/reinstate", as_=admin).status_code == 409
    actions = [a.action for a in _actions(db_session, target_type="shop")]
    assert actions == ["shop.suspend", "shop.reinstate"]


def test_reports_join_the_queue_and_are_dismissed(api, db_session):
    market = Market(api, db_session)
    listing = market.approved_listing(market.seller())
    first, second = api.make_user("buyer"), api.make_user("buyer")
    path = f"/api/v1/listings/{listing['id']}/reports"
    assert api.post(path, json={"reason": "Foto curian"}).status_code == 401
    assert api.post(path, as_=first, json={"reason": "Foto curian"}).status_code == 201
    twice = api.post(path, as_=first, json={"reason": "Foto curian lagi"})
    assert twice.status_code == 409 and twice.json["error"]["code"] == "already_reported"
    assert api.post(path, as_=second, json={"reason": "Harga menipu"}).status_code == 201

    queue = api.get("/api/v1/admin/moderation/queue", as_=market.admin).json
    reported = [r for r in queue["reported"] if r["id"] == listing["id"]]
    assert reported and reported[0]["report_count"] == 2
    assert sorted(reported[0]["reasons"]) == ["Foto curian", "Harga menipu"]

    assert api.post(f"/api/v1/admin/listings/{listing['id']}/reports/dismiss", as_=market.admin).status_code == 200
    assert api.get("/api/v1/admin/moderation/queue", as_=market.admin).json["reported"] == []
    assert listing["id"] in _search_ids(api)  # the listing stays
    assert [a.action for a in _actions(db_session, target_id=listing["id"])][-1] == "listing.reports_dismiss"


def test_a_reported_listing_can_be_taken_down(api, db_session):
    market = Market(api, db_session)
    listing = market.approved_listing(market.seller())
    api.post(f"/api/v1/listings/{listing['id']}/reports", as_=api.make_user("buyer"),
             json={"reason": "Bukan kerajinan"})
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/take-down", as_=market.admin,
                    json={"revision": market.revision(listing["id"]), "reason": "Bukan kerajinan tangan"})
    assert resp.status_code == 200 and resp.json["status"] == "rejected"
    assert listing["id"] not in _search_ids(api)
    assert api.get("/api/v1/admin/moderation/queue", as_=market.admin).json["reported"] == []


def test_bulk_approve_with_one_changed_listing(api, db_session):
    market = Market(api, db_session)
    seller = market.seller()
    a, b = market.listing(seller), market.listing(seller, title="Tas anyaman pandan")
    seen_b = market.revision(b["id"])
    assert api.patch(f"/api/v1/listings/{b['id']}", as_=seller, json={"price_idr": 999_000}).status_code == 200
    resp = api.post("/api/v1/admin/moderation/bulk", as_=market.admin, json={
        "action": "approve", "items": [{"listing_id": a["id"], "revision": market.revision(a["id"])},
                                       {"listing_id": b["id"], "revision": seen_b}]})
    assert resp.status_code == 200, resp.json
    by_id = {item["listing_id"]: item for item in resp.json["items"]}
    assert by_id[a["id"]]["status_code"] == 200 and by_id[a["id"]]["status"] == "approved"
    assert by_id[b["id"]]["status_code"] == 409 and by_id[b["id"]]["code"] == "listing_changed"
    assert _search_ids(api) == {a["id"]}
    assert [x.action for x in _actions(db_session, target_type="listing")] == ["listing.approve"]


def test_sentra_created_assigned_and_browsed(api, client, db_session):
    market = Market(api, db_session)
    seller = market.seller(kelurahan="Cipayung")
    elsewhere = market.seller(kelurahan="Pamulang Barat")
    listing = market.approved_listing(seller)
    other = market.approved_listing(elsewhere)
    admin = market.admin
    body = {"name": "Sentra Batik Cipayung", "city": "tangerang selatan", "kelurahan": "cipayung", "focus": "batik",
            "story": "Dua puluh perajin batik tulis."}
    resp = api.post("/api/v1/admin/sentra", as_=admin, json=body)
    assert resp.status_code == 201, resp.json
    sentra = resp.json
    assert sentra["kelurahan"] == "Cipayung" and sentra["city"] == "Tangerang Selatan"
    assert api.post("/api/v1/admin/sentra", as_=admin, json=body).status_code == 409
    assert api.post("/api/v1/admin/sentra", as_=api.make_user("buyer"), json=body).status_code == 403

    wrong = api.patch(f"/api/v1/admin/shops/{elsewhere.shop_id}", as_=admin, json={"sentra_id": sentra["id"]})
    assert wrong.status_code == 422 and "sentra_id" in wrong.json["error"]["fields"]
    assigned = api.patch(f"/api/v1/admin/shops/{seller.shop_id}", as_=admin, json={"sentra_id": sentra["id"]})
    assert assigned.status_code == 200 and assigned.json["sentra_id"] == sentra["id"]
    edited = api.patch(f"/api/v1/admin/sentra/{sentra['id']}", as_=admin, json={"story": "Cerita baru"})
    assert edited.status_code == 200 and edited.json["story"] == "Cerita baru"

    listed = api.get("/api/v1/sentra", query_string={"kelurahan": "Cipayung"}).json["items"]
    assert [(s["name"], s["shop_count"]) for s in listed] == [("Sentra Batik Cipayung", 1)]
    assert _search_ids(api, sentra_id=sentra["id"]) == {listing["id"]}
    assert other["id"] in _search_ids(api)

    actions = [a.action for a in _actions(db_session, actor_id=admin.id)]
    assert {"sentra.create", "sentra.update", "shop.assign_sentra"} <= set(actions)
    log = api.get("/api/v1/admin/audit-log", as_=admin, query_string={"action": "sentra.create"}).json
    assert log["total"] == 1 and log["items"][0]["after"]["name"] == "Sentra Batik Cipayung"
    csv = api.get("/api/v1/admin/audit-log.csv", as_=admin, query_string={"target_type": "sentra"})
    assert csv.status_code == 200 and csv.data.decode().count("sentra.") == 2
    assert api.get("/api/v1/admin/audit-log", as_=api.make_user("buyer")).status_code == 403
