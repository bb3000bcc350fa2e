"""Moderation API: queue order, approve, reject, 409 on non-pending, history, access rules, events.

The revision rules (409 ``listing_changed``, the edit between the queue read and the approve) are in
``test_revisions.py``."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from marketplace.db import utcnow
from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision


def decisions(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ModerationDecision))


def test_queue_lists_pending_oldest_first(api, market, db_session):
    seller = market.seller()
    newer = market.listing(seller, title="Newer one")
    older = market.listing(seller, title="Older one")
    approved = market.approved_listing(seller, title="Already public")
    db_session.rollback()
    db_session.get(Listing, older["id"]).submitted_at = utcnow() - timedelta(days=2)
    db_session.commit()
    resp = api.get("/api/v1/admin/moderation/queue", as_=market.admin)
    assert resp.status_code == 200
    ids = [item["id"] for item in resp.json["items"]]
    assert ids == [older["id"], newer["id"]] and approved["id"] not in ids
    first = resp.json["items"][0]
    assert first["revision"] == 1
    assert first["shop_name"] and first["city"] == "Tangerang Selatan" and first["kelurahan"] == "Cipayung"


def test_approve_publishes_and_records_event_and_decision(api, market, db_session):
    seller = market.seller(city="Bekasi", kelurahan="Margahayu")
    listing = market.listing(seller)
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/approve", as_=market.admin,
                    json={"revision": listing["revision"]})
    assert resp.status_code == 200 and resp.json == {"status": "approved"}
    assert api.get(f"/api/v1/listings/{listing['id']}").json["status"] == "approved"
    [event] = market.events("listing.approved")
    assert event["key"] == str(listing["id"])
    assert event["data"] == {
        "listing_id": listing["id"], "shop_id": seller.shop_id, "title": listing["title"], "price_idr": 350_000,
        "category": "batik", "city": "Bekasi", "kelurahan": "Margahayu", "path": f"/listings/{listing['id']}",
    }
    db_session.rollback()
    row = db_session.scalars(select(ModerationDecision)).one()
    assert (row.listing_id, row.moderator_id, row.decision, row.reason, row.revision) == (
        listing["id"], market.admin.id, "approved", None, 1)
    assert row.decided_at is not None


def test_reject_keeps_reason_and_records_event(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/reject", as_=market.admin,
                    json={"revision": listing["revision"], "reason": "  Foto produk buram, mohon unggah ulang.  "})
    assert resp.status_code == 200
    assert resp.json == {"status": "rejected", "reason": "Foto produk buram, mohon unggah ulang."}
    [event] = market.events("listing.rejected")
    assert event["key"] == str(listing["id"])
    assert event["data"] == {"listing_id": listing["id"], "shop_id": seller.shop_id,
                             "reason": "Foto produk buram, mohon unggah ulang."}
    got = api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json
    assert got["status"] == "rejected" and got["rejection_reason"] == "Foto produk buram, mohon unggah ulang."
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404


@pytest.mark.parametrize("body", [{}, {"reason": "no"}, {"reason": "   ab   "}, {"reason": "x" * 1001},
                                  {"reason": 123}, {"reason": None}, {"reason": "Alasan", "extra": 1}])
def test_reject_needs_a_reason(api, market, db_session, body):
    listing = market.listing(market.seller())
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/reject", as_=market.admin, json={"revision": 1, **body})
    assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error"
    assert "reason" in resp.json["error"]["fields"] or "extra" in resp.json["error"]["fields"]
    assert decisions(db_session) == 0 and market.types(listing["id"]) == ["listing.submitted"]


def test_reject_non_json_is_415(api, market):
    listing = market.listing(market.seller())
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/reject", as_=market.admin,
                    data="reason=blurry", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415


def test_deciding_a_non_pending_listing_is_409(api, market, db_session):
    seller = market.seller()
    approved = market.approved_listing(seller)
    rejected = market.listing(seller)
    market.reject(rejected["id"], "Bukan produk")
    withdrawn = market.listing(seller)
    api.post(f"/api/v1/listings/{withdrawn['id']}/withdraw", as_=seller)
    before = decisions(db_session)
    for listing in (approved, rejected, withdrawn):
        for action, body in (("approve", {"revision": 1}), ("reject", {"revision": 1, "reason": "Tidak sesuai"})):
            resp = api.post(f"/api/v1/admin/listings/{listing['id']}/{action}", as_=market.admin, json=body)
            assert resp.status_code == 409 and resp.json["error"]["code"] == "not_pending", (listing, action)
    assert decisions(db_session) == before
    assert len(market.events("listing.approved")) == 1 and len(market.events("listing.rejected")) == 1


def test_unknown_listing_is_404(api, market):
    for action, body in (("approve", {"revision": 1}), ("reject", {"revision": 1, "reason": "Tidak sesuai"})):
        assert api.post(f"/api/v1/admin/listings/999999/{action}", as_=market.admin, json=body).status_code == 404
    assert api.get("/api/v1/admin/listings/999999/history", as_=market.admin).status_code == 404


def test_access_rules_for_every_role(api, market, db_session):
    seller = market.seller()
    listing = market.listing(seller)
    calls = [
        ("get", "/api/v1/admin/moderation/queue", None),
        ("post", f"/api/v1/admin/listings/{listing['id']}/approve", {"revision": 1}),
        ("post", f"/api/v1/admin/listings/{listing['id']}/reject", {"revision": 1, "reason": "Tidak sesuai"}),
        ("get", f"/api/v1/admin/listings/{listing['id']}/history", None),
    ]
    for method, path, body in calls:
        kwargs = {"json": body} if body else {}
        assert getattr(api, method)(path, **kwargs).status_code == 401, path
        for who in (api.make_user("buyer"), seller, market.seller()):
            assert getattr(api, method)(path, as_=who, **kwargs).status_code == 403, (path, who.role)
    assert decisions(db_session) == 0
    assert api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json["status"] == "pending_review"


def test_full_flow_edit_after_approval_returns_to_queue_and_history_is_kept(api, market):
    seller = market.seller()
    admin = market.admin
    listing = market.listing(seller)
    lid = listing["id"]
    market.reject(lid, "Harga belum termasuk ongkir?")
    api.patch(f"/api/v1/listings/{lid}", as_=seller, json={"description": "Harga sudah termasuk kemasan."})
    assert [i["id"] for i in api.get("/api/v1/admin/moderation/queue", as_=admin).json["items"]] == [lid]
    market.approve(lid)
    assert api.get("/api/v1/admin/moderation/queue", as_=admin).json["items"] == []
    api.patch(f"/api/v1/listings/{lid}", as_=seller, json={"price_idr": 375_000})
    assert api.get(f"/api/v1/listings/{lid}").status_code == 404  # hidden again until re-reviewed
    assert [i["id"] for i in api.get("/api/v1/admin/moderation/queue", as_=admin).json["items"]] == [lid]
    market.approve(lid)

    history = api.get(f"/api/v1/admin/listings/{lid}/history", as_=admin)
    assert history.status_code == 200 and history.json["status"] == "approved"
    items = history.json["items"]
    # Each decision names the revision it was taken on: the description edit made 2, the price edit 3.
    assert [(i["decision"], i["reason"], i["revision"]) for i in items] == [
        ("rejected", "Harga belum termasuk ongkir?", 1), ("approved", None, 2), ("approved", None, 3)]
    assert all(i["moderator_id"] == admin.id and i["moderator_name"] and i["decided_at"] for i in items)
    assert market.types(lid) == [
        "listing.submitted", "listing.rejected",
        "listing.updated", "listing.submitted", "listing.approved",
        "listing.updated", "listing.submitted", "listing.approved",
    ]
