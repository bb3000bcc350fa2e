"""Listing use cases called directly, each inside a transaction rolled back after the test (``tx``).

They show the review rule, the events each change records, who may change what, and that photo files
follow the transaction's outcome: kept when it commits, removed when it does not.
"""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.errors import Conflict, Forbidden, NotFound
from marketplace.listings import services
from marketplace.listings.models import ListingImage
from marketplace.media.images import process_upload
from marketplace.media.storage import LocalStorage
from tests import factories
from tests.unit.listings.helpers import image_bytes


def event_types(session, listing_id: int) -> list[str]:
    rows = session.scalars(select(OutboxEvent).where(OutboxEvent.key == str(listing_id)).order_by(OutboxEvent.id))
    return [row.type for row in rows]


@pytest.fixture
def seller(tx):
    owner = factories.user(tx, "artisan")
    factories.shop(tx, owner)
    return owner


def test_create_submits_for_review_with_its_event_in_the_same_transaction(tx, seller):
    listing = services.create_listing(tx, seller, factories.listing_values())
    assert listing.status == "pending_review" and listing.submitted_at is not None
    assert event_types(tx, listing.id) == ["listing.submitted"]
    payload = json.loads(tx.scalar(select(OutboxEvent.payload).where(OutboxEvent.key == str(listing.id))))
    assert payload["data"]["price_idr"] == 350_000 and payload["data"]["shop_id"] == listing.shop_id


def test_a_listing_needs_a_shop(tx):
    with pytest.raises(Conflict) as raised:
        services.create_listing(tx, factories.user(tx, "artisan"), factories.listing_values())
    assert raised.value.code == "no_shop"


def test_editing_the_price_of_an_approved_listing_sends_it_back_to_review(tx, seller):
    listing = factories.listing(tx, seller, status="approved")
    services.update_listing(tx, seller, listing.id, {"price_idr": 400_000})
    assert listing.status == "pending_review"
    assert event_types(tx, listing.id) == ["listing.submitted", "listing.updated", "listing.submitted"]


def test_stock_change_keeps_an_approved_listing_public_and_selling_out_is_an_event(tx, seller):
    listing = factories.listing(tx, seller, status="approved")
    services.update_listing(tx, seller, listing.id, {"stock": 0})
    assert listing.status == "approved"
    assert event_types(tx, listing.id)[-2:] == ["listing.updated", "listing.sold_out"]


def test_an_edit_that_changes_nothing_records_nothing(tx, seller):
    listing = factories.listing(tx, seller, status="approved")
    services.update_listing(tx, seller, listing.id, {"stock": listing.stock})
    assert event_types(tx, listing.id) == ["listing.submitted"]


@pytest.mark.parametrize("changes", [
    {"title": "Kain tenun ikat Sumba"}, {"description": "Pewarna indigo."}, {"price_idr": 999_000_000},
    {"category": "tenun"}, {"weight_grams": 900}, {"fulfilment": "made_to_order", "processing_days": 7},
])
@pytest.mark.parametrize("status", ["pending_review", "approved", "rejected", "withdrawn"])
def test_every_change_a_buyer_sees_is_a_new_revision(tx, seller, status, changes):
    listing = factories.listing(tx, seller, status=status)
    assert listing.revision == 1
    services.update_listing(tx, seller, listing.id, changes)
    assert listing.revision == 2
    services.update_listing(tx, seller, listing.id, changes)  # the same values again: no change, no revision
    assert listing.revision == 2


def test_stock_and_withdrawing_or_resubmitting_are_no_new_revision(tx, seller):
    """Nothing a moderator reviews changes: a decision taken on the revision still holds."""
    listing = factories.listing(tx, seller)
    services.update_listing(tx, seller, listing.id, {"stock": 40})
    services.withdraw_listing(tx, seller, listing.id)
    services.resubmit_listing(tx, seller, listing.id)
    assert listing.revision == 1


def test_adding_and_removing_a_photo_are_new_revisions(tx, seller, tmp_path):
    storage = LocalStorage(tmp_path / "media")
    listing = factories.listing(tx, seller)
    image = services.add_image(tx, storage, seller, listing.id, process_upload(image_bytes(), max_bytes=1_000_000))
    assert listing.revision == 2
    services.delete_image(tx, storage, seller, listing.id, image.id)
    assert listing.revision == 3


def test_withdraw_then_resubmit(tx, seller):
    listing = factories.listing(tx, seller, status="approved")
    services.withdraw_listing(tx, seller, listing.id)
    assert listing.status == "withdrawn"
    with pytest.raises(Conflict):
        services.withdraw_listing(tx, seller, listing.id)
    services.resubmit_listing(tx, seller, listing.id)
    assert listing.status == "pending_review"
    with pytest.raises(Conflict):
        services.resubmit_listing(tx, seller, listing.id)


def test_someone_elses_listing_is_403_when_public_and_404_when_hidden(tx, seller):
    other = factories.user(tx, "artisan")
    factories.shop(tx, other)
    hidden = factories.listing(tx, seller)
    public = factories.listing(tx, seller, status="approved")
    with pytest.raises(NotFound):
        services.update_listing(tx, other, hidden.id, {"stock": 1})
    with pytest.raises(Forbidden):
        services.update_listing(tx, other, public.id, {"stock": 1})
    assert services.get_for_viewer(tx, public.id, None) is public
    with pytest.raises(NotFound):
        services.get_for_viewer(tx, hidden.id, None)


def _stored(root) -> list[str]:
    return sorted(p.name for p in root.rglob("*") if p.is_file())


#: The photo, its 400-px thumbnail, a 200-px one and both in WebP (marketplace.media.images.derivatives).
FILES_PER_PHOTO = 5


def test_photo_files_are_removed_when_the_transaction_does_not_commit(tx, seller, tmp_path):
    storage = LocalStorage(tmp_path / "media")
    listing = factories.listing(tx, seller)
    tx.commit()  # releases the savepoint: the listing is "already there"
    image = services.add_image(tx, storage, seller, listing.id, process_upload(image_bytes(), max_bytes=1_000_000))
    assert len(_stored(tmp_path / "media")) == FILES_PER_PHOTO  # written before the commit
    assert image.key.startswith(f"listings/{listing.id}/")
    tx.rollback()
    assert _stored(tmp_path / "media") == []
    assert tx.scalar(select(func.count(ListingImage.id))) == 0


def test_photo_files_are_kept_on_commit_and_deleted_only_after_the_delete_commits(tx, seller, tmp_path):
    storage = LocalStorage(tmp_path / "media")
    listing = factories.listing(tx, seller)
    image = services.add_image(tx, storage, seller, listing.id, process_upload(image_bytes(), max_bytes=1_000_000))
    tx.commit()
    assert len(_stored(tmp_path / "media")) == FILES_PER_PHOTO
    services.delete_image(tx, storage, seller, listing.id, image.id)
    assert len(_stored(tmp_path / "media")) == FILES_PER_PHOTO, "files must outlive a delete that may still roll back"
    tx.rollback()
    assert len(_stored(tmp_path / "media")) == FILES_PER_PHOTO, "a rolled-back delete keeps the photo"
    services.delete_image(tx, storage, seller, listing.id, image.id)
    tx.commit()
    assert _stored(tmp_path / "media") == []
