"""One use case, one commit: an exception anywhere in a request leaves no row, no event and no file.

The request owns the transaction (``marketplace.web.transaction.MarketplaceFlask``); services only add to it. Each
test makes a use case fail *after* it already wrote something (a stored photo, a decision row) and
checks the database, the outbox and the media store, as a seller or admin retrying would see them.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.listings import services as listings
from marketplace.listings.models import Listing, ListingImage
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ModerationDecision
from tests.unit.listings.test_services import FILES_PER_PHOTO
from tests.unit.listings.helpers import image_bytes, upload


class Boom(RuntimeError):
    pass


def _files(root: str) -> list[Path]:
    return [p for p in Path(root).rglob("*") if p.is_file()]


def _count(session, column) -> int:
    session.rollback()
    return session.scalar(select(func.count(column))) or 0


def test_upload_failing_after_the_photo_is_stored_leaves_no_row_event_or_file(api, market, db_session, settings, monkeypatch):
    seller = market.seller()
    listing = market.listing(seller)
    events_before = _count(db_session, OutboxEvent.id)
    real_after_change = listings._after_change

    def after_change_then_fail(session, row, changed):
        real_after_change(session, row, changed)  # the image row and the listing.updated event are added…
        assert len(_files(settings.media_root)) == FILES_PER_PHOTO  # …and its files are already in the store
        raise Boom("disk full while writing the audit trail")

    monkeypatch.setattr(listings, "_after_change", after_change_then_fail)
    resp = api.post(f"/api/v1/listings/{listing['id']}/images", as_=seller, data=upload(image_bytes()),
                    content_type="multipart/form-data")
    assert resp.status_code == 500 and resp.json["error"]["code"] == "internal_error"
    assert _count(db_session, ListingImage.id) == 0
    assert _count(db_session, OutboxEvent.id) == events_before
    assert _files(settings.media_root) == []

    monkeypatch.setattr(listings, "_after_change", real_after_change)  # the retry works and keeps its files
    assert market.add_image(seller, listing["id"]).status_code == 201
    assert _count(db_session, ListingImage.id) == 1 and len(_files(settings.media_root)) == FILES_PER_PHOTO


def test_page_upload_failing_after_the_photo_is_stored_leaves_nothing_either(client, auth, market, db_session, settings, monkeypatch):
    seller = market.seller()
    listing = market.listing(seller)
    auth.login(seller.email, seller.password)
    token = auth.csrf_token(f"/seller/listings/{listing['id']}/edit")
    monkeypatch.setattr(listings, "_after_change", lambda *a: (_ for _ in ()).throw(Boom("late failure")))
    resp = client.post(f"/seller/listings/{listing['id']}/images", data={"csrf_token": token, **upload(image_bytes())},
                       content_type="multipart/form-data")
    assert resp.status_code == 500
    assert _count(db_session, ListingImage.id) == 0 and _files(settings.media_root) == []


def test_moderation_failing_after_the_decision_row_leaves_the_listing_pending(api, market, db_session, monkeypatch):
    listing = market.listing(market.seller())
    admin = market.admin
    events_before = _count(db_session, OutboxEvent.id)

    def fail(*args, **kwargs):
        raise Boom("outbox unavailable")

    monkeypatch.setattr(moderation, "record", fail)  # runs after the status change and the decision row
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/approve", as_=admin, json={"revision": listing["revision"]})
    assert resp.status_code == 500
    db_session.rollback()
    assert db_session.get(Listing, listing["id"]).status == "pending_review"
    assert _count(db_session, ModerationDecision.id) == 0
    assert _count(db_session, OutboxEvent.id) == events_before

    monkeypatch.undo()
    assert api.post(f"/api/v1/admin/listings/{listing['id']}/approve", as_=admin,
                    json={"revision": listing["revision"]}).status_code == 200
    assert _count(db_session, ModerationDecision.id) == 1
    assert market.types(listing["id"])[-1] == "listing.approved"


def test_a_domain_error_after_a_write_commits_nothing(api, market, db_session, monkeypatch):
    """A 4xx is a refusal: whatever the use case wrote before refusing is rolled back."""
    seller = market.seller()
    listing = market.listing(seller, stock=5)
    from marketplace.errors import Conflict

    real_after_change = listings._after_change

    def change_then_refuse(session, row, changed):
        real_after_change(session, row, changed)
        raise Conflict("Changed our mind.", code="test_refusal")

    monkeypatch.setattr(listings, "_after_change", change_then_refuse)
    resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"stock": 9})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "test_refusal"
    db_session.rollback()
    assert db_session.get(Listing, listing["id"]).stock == 5
    assert market.types(listing["id"]) == ["listing.submitted"]
