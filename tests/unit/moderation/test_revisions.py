"""Issue #9: a decision names the revision the moderator saw; an edit made since is never decided unseen.

The attack: the seller changes a pending listing (new title, Rp 999.000.000) after the admin read the
queue and before the admin approves. The approval must be refused (409 ``listing_changed``), nothing
published, and the queue must then show the new content with its new revision.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.moderation.models import ModerationDecision
from tests.unit.listings.helpers import image_bytes


def queue_item(api: Any, market: Any, listing_id: int) -> dict[str, Any]:
    items = api.get("/api/v1/admin/moderation/queue", as_=market.admin).json["items"]
    [item] = [i for i in items if i["id"] == listing_id]
    return item


def decision_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ModerationDecision))


def decide(api: Any, market: Any, listing_id: int, action: str, revision: Any) -> Any:
    body = {"revision": revision} if action == "approve" else {"revision": revision, "reason": "Foto kurang jelas"}
    return api.post(f"/api/v1/admin/listings/{listing_id}/{action}", as_=market.admin, json=body)


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_an_edit_between_the_queue_read_and_the_decision_is_refused(api, market, db_session, action):
    seller = market.seller()
    listing = market.listing(seller, title="Kain batik tulis Ciputat", price_idr=350_000)
    seen = queue_item(api, market, listing["id"])  # the admin opens the queue…
    assert (seen["title"], seen["price_idr"], seen["revision"]) == ("Kain batik tulis Ciputat", 350_000, 1)

    # …the seller swaps the content under it…
    edit = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller,
                     json={"title": "Barang lain sama sekali", "price_idr": 999_000_000})
    assert edit.status_code == 200 and edit.json["revision"] == 2

    # …and the decision on what the admin saw is refused, with nothing written.
    resp = decide(api, market, listing["id"], action, seen["revision"])
    assert resp.status_code == 409 and resp.json["error"]["code"] == "listing_changed"
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404  # not public
    assert api.get(f"/api/v1/listings/{listing['id']}", as_=seller).json["status"] == "pending_review"
    assert decision_count(db_session) == 0
    assert market.types(listing["id"]) == ["listing.submitted", "listing.updated"]

    # The queue now shows the new content and its revision; a decision on that one is taken.
    now = queue_item(api, market, listing["id"])
    assert (now["title"], now["price_idr"], now["revision"]) == ("Barang lain sama sekali", 999_000_000, 2)
    assert decide(api, market, listing["id"], action, now["revision"]).status_code == 200
    history = api.get(f"/api/v1/admin/listings/{listing['id']}/history", as_=market.admin).json["items"]
    assert [(h["decision"], h["revision"]) for h in history] == [({"approve": "approved", "reject": "rejected"}[action], 2)]


def test_a_photo_added_or_removed_since_the_queue_read_is_a_change(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    seen = queue_item(api, market, listing["id"])["revision"]
    photo = market.add_image(seller, listing["id"], image_bytes(color=(10, 200, 30)))
    assert photo.status_code == 201
    assert decide(api, market, listing["id"], "approve", seen).json["error"]["code"] == "listing_changed"

    seen = queue_item(api, market, listing["id"])["revision"]
    assert seen == 2
    assert api.delete(f"/api/v1/listings/{listing['id']}/images/{photo.json['id']}", as_=seller).status_code == 204
    assert decide(api, market, listing["id"], "approve", seen).json["error"]["code"] == "listing_changed"
    assert decide(api, market, listing["id"], "approve", 3).status_code == 200


def test_a_stock_change_is_no_new_revision(api, market):
    """Stock is inventory, not a claim to review: restocking while the moderator looks does not void the look."""
    seller = market.seller()
    listing = market.listing(seller, stock=3)
    seen = queue_item(api, market, listing["id"])["revision"]
    assert api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 10}).json["revision"] == seen
    assert decide(api, market, listing["id"], "approve", seen).status_code == 200


def test_a_revision_from_the_future_is_refused_too(api, market, db_session):
    listing = market.listing(market.seller())
    resp = decide(api, market, listing["id"], "approve", 7)
    assert resp.status_code == 409 and resp.json["error"]["code"] == "listing_changed"
    assert decision_count(db_session) == 0


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("revision", [None, "1", 1.0, 0, -1, True, 2**63])
def test_a_decision_must_name_a_revision(api, market, db_session, action, revision):
    listing = market.listing(market.seller())
    body = {} if revision is None else {"revision": revision}
    if action == "reject":
        body["reason"] = "Foto kurang jelas"
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/{action}", as_=market.admin, json=body)
    assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error"
    assert list(resp.json["error"]["fields"]) == ["revision"]
    assert decision_count(db_session) == 0 and market.types(listing["id"]) == ["listing.submitted"]


def test_an_approve_without_any_body_is_422(api, market):
    listing = market.listing(market.seller())
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/approve", as_=market.admin)
    assert resp.status_code == 422 and "revision" in resp.json["error"]["fields"]


def test_the_seller_and_the_admin_see_the_revision(api, market):
    seller = market.seller()
    listing = market.listing(seller)
    assert listing["revision"] == 1
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"description": "Pewarna alam indigo."})
    assert resp.status_code == 200 and resp.json["revision"] == 2
    assert api.get(f"/api/v1/listings/{listing['id']}", as_=market.admin).json["revision"] == 2
