"""A decision and an edit of the same listing at the same moment: never an approved edit nobody saw.

Two real transactions on two connections (the app's writer sessions), one of them in a thread, so one
really meets the other's uncommitted change: on PostgreSQL it waits for the row lock, on SQLite for
the write lock. Whichever commits first, the listing ends either approved as the moderator saw it
or back in review with its new content.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import DomainError
from marketplace.listings import services as listings
from marketplace.listings.models import Listing
from marketplace.moderation import services as moderation
from marketplace.moderation.models import ModerationDecision

ATTACK = {"title": "Barang lain sama sekali", "price_idr": 999_000_000}


def in_thread(sessions: Callable[[], Session], use_case: Callable[[Session], Any]) -> tuple[threading.Thread, dict[str, Any]]:
    """Run ``use_case`` in its own transaction in a thread; ``outcome`` gets ``ok`` or the error's code."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        with sessions() as session:
            try:
                use_case(session)
                session.commit()
                outcome["result"] = "ok"
            except DomainError as err:
                session.rollback()
                outcome["result"] = err.code
            except Exception as err:  # reported by the test, not lost in the thread
                session.rollback()
                outcome["result"] = repr(err)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def fresh(db: Session, listing_id: int) -> Listing:
    db.rollback()
    return db.get(Listing, listing_id, populate_existing=True)


@pytest.fixture
def writer(app: Any) -> Callable[[], Session]:
    return app.extensions["db"].write_session_factory


def test_an_approve_that_meets_an_edit_in_flight_waits_for_it_and_refuses(api, market, db_session, writer):
    seller = market.seller()
    listing = market.listing(seller)
    admin_id = market.admin.id
    seen = api.get("/api/v1/admin/moderation/queue", as_=market.admin).json["items"][0]["revision"]

    editor = writer()
    listings.update_listing(editor, editor.get(User, seller.id), listing["id"], ATTACK)  # row locked, not committed
    approving, outcome = in_thread(
        writer, lambda s: moderation.approve(s, s.get(User, admin_id), listing["id"], seen))
    approving.join(0.5)
    assert approving.is_alive(), f"the approve did not wait for the edit in flight: {outcome}"
    editor.commit()
    editor.close()
    approving.join(30)

    assert outcome == {"result": "listing_changed"}
    row = fresh(db_session, listing["id"])
    assert (row.status, row.title, row.revision) == ("pending_review", ATTACK["title"], 2)
    assert db_session.scalar(select(func.count()).select_from(ModerationDecision)) == 0
    assert "listing.approved" not in market.types(listing["id"])
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404


def test_an_edit_that_meets_an_approve_in_flight_sends_the_listing_back_to_review(api, market, db_session, writer):
    seller = market.seller()
    listing = market.listing(seller)
    admin_id = market.admin.id

    moderator = writer()
    moderation.approve(moderator, moderator.get(User, admin_id), listing["id"], 1)  # decided, not committed
    editing, outcome = in_thread(
        writer, lambda s: listings.update_listing(s, s.get(User, seller.id), listing["id"], ATTACK))
    editing.join(0.5)
    assert editing.is_alive(), f"the edit did not wait for the decision in flight: {outcome}"
    moderator.commit()
    moderator.close()
    editing.join(30)

    assert outcome == {"result": "ok"}
    row = fresh(db_session, listing["id"])
    # Approved as seen (revision 1); the edit that came after is a new revision, back in the queue.
    assert (row.status, row.title, row.revision) == ("pending_review", ATTACK["title"], 2)
    assert api.get(f"/api/v1/listings/{listing['id']}").status_code == 404
    assert market.types(listing["id"]) == [
        "listing.submitted", "listing.approved", "listing.updated", "listing.submitted"]
    history = api.get(f"/api/v1/admin/listings/{listing['id']}/history", as_=market.admin).json["items"]
    assert [(h["decision"], h["revision"]) for h in history] == [("approved", 1)]


def test_an_edit_counts_from_the_revision_under_its_lock_not_from_an_earlier_read(api, market, db_session, writer):
    """add_image checks the listing before decoding the photo and locks it after: an edit committed in
    between must not be counted over (or a moderator who saw that edit could approve the photo unseen).
    Only PostgreSQL lets the other edit in between; SQLite's writers take turns from the first read."""
    if db_session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite writers are serial: no edit can commit between a writer's read and its lock")
    seller = market.seller()
    listing = market.listing(seller)
    session = writer()
    owner = session.get(User, seller.id)
    early = listings.get_owned(session, owner, listing["id"])  # the early, unlocked read, still held
    assert early.revision == 1
    assert api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"title": "Judul baru"}).json["revision"] == 2
    listings.update_listing(session, owner, listing["id"], {"description": "Deskripsi baru."})
    session.commit()
    session.close()
    assert early.revision == 3  # the locked read refreshed the copy in the session
    assert fresh(db_session, listing["id"]).revision == 3
