"""Bulk approve/reject from the queue page: a plain form post (no script needed) of the ticked boxes,
each naming the revision shown; a listing edited after the page was rendered is left undecided and
named in the messages, the others are decided and audited."""

from __future__ import annotations

import html as html_lib
import re

import pytest
from sqlalchemy import select

from marketplace.audit.models import AdminAction
from marketplace.listings.models import Listing


@pytest.fixture
def admin(market, auth):
    assert auth.login(market.admin.email, market.admin.password).status_code == 302
    return market.admin


def boxes(page: str) -> dict[int, str]:
    """The queue's tick boxes: listing id → the ``id:revision`` each sends."""
    found = re.findall(r'<input type="checkbox" name="items" form="bulk-form"\s+value="((\d+):\d+)"', page)
    return {int(listing_id): value for value, listing_id in found}


def flashes(page: str) -> list[str]:
    return [html_lib.unescape(m) for m in re.findall(r'<p class="flash flash-\w+" role="status">([^<]*)</p>', page)]


def status_of(db, listing_id: int) -> str:
    db.rollback()
    return db.get(Listing, listing_id).status


def audited(db, action: str) -> set[int]:
    db.rollback()
    return set(db.scalars(select(AdminAction.target_id).where(AdminAction.action == action)))


def test_bulk_approve_decides_the_ticked_listings_and_leaves_the_changed_one(client, auth, admin, market, api,
                                                                            db_session):
    seller = market.seller()
    first = market.listing(seller, title="Kain batik kawung")
    second = market.listing(seller, title="Tas anyaman pandan")
    edited = market.listing(seller, title="Vas keramik biru")
    decided = market.listing(seller, title="Piring saji daun")
    page = client.get("/admin/moderation").get_data(as_text=True)  # the admin renders the queue…
    ticked = boxes(page)
    assert set(ticked) == {first["id"], second["id"], edited["id"], decided["id"]}
    assert 'id="bulk-form"' in page and "Setujui yang dipilih" in page and "moderation-bulk.js" in page
    # …meanwhile a seller edits one listing and another admin decides one
    api.patch(f"/api/v1/listings/{edited['id']}", as_=seller, json={"price_idr": 999_000_000})
    market.approve(decided["id"])

    resp = client.post("/admin/moderation/bulk", data={
        "csrf_token": auth.csrf_token("/admin/moderation"), "action": "approve", "items": list(ticked.values())})
    assert resp.status_code == 302 and resp.headers["Location"].endswith("/admin/moderation")
    messages = flashes(client.get("/admin/moderation").get_data(as_text=True))
    assert "Disetujui (2): Kain batik kawung, Tas anyaman pandan" in messages
    assert "Berubah sejak Anda melihatnya, belum diputuskan: periksa lagi (1): Vas keramik biru" in messages
    assert "Sudah diputuskan oleh orang lain (1): Piring saji daun" in messages

    assert status_of(db_session, first["id"]) == status_of(db_session, second["id"]) == "approved"
    assert status_of(db_session, edited["id"]) == "pending_review"  # the edit was never approved unseen
    assert audited(db_session, "listing.approve") == {first["id"], second["id"], decided["id"]}
    # the changed listing is still in the queue, with its new revision in its box
    assert boxes(client.get("/admin/moderation").get_data(as_text=True)) == {edited["id"]: f"{edited['id']}:2"}


def test_bulk_reject_needs_a_reason_and_sends_it_to_each_seller(client, auth, admin, market, db_session):
    seller = market.seller()
    one, two = market.listing(seller, title="Kemeja batik"), market.listing(seller, title="Masker batik")
    ticked = boxes(client.get("/admin/moderation").get_data(as_text=True))
    form = {"csrf_token": auth.csrf_token("/admin/moderation"), "action": "reject", "items": list(ticked.values())}

    refused = client.post("/admin/moderation/bulk", data=form)
    assert refused.status_code == 422
    page = refused.get_data(as_text=True)
    assert re.search(r"bulk-reason.*?field-error[^>]*>[^<]*alasan sepanjang 3 sampai 1000 karakter", page, re.S)
    assert boxes(page) == ticked and page.count(" checked") >= 2  # the selection is kept
    assert status_of(db_session, one["id"]) == "pending_review"

    done = client.post("/admin/moderation/bulk", data={**form, "reason": "Foto kurang jelas"})
    assert done.status_code == 302
    assert "Ditolak, para penjual melihat alasan Anda (2): Kemeja batik, Masker batik" in flashes(
        client.get("/admin/moderation").get_data(as_text=True))
    db_session.rollback()
    assert {db_session.get(Listing, i).rejection_reason for i in (one["id"], two["id"])} == {"Foto kurang jelas"}
    assert audited(db_session, "listing.reject") == {one["id"], two["id"]}


def test_bulk_refuses_no_selection_a_stale_token_and_non_admins(client, auth, admin, market, api, db_session):
    listing = market.listing(market.seller())
    token = auth.csrf_token("/admin/moderation")
    empty = client.post("/admin/moderation/bulk", data={"csrf_token": token, "action": "approve"})
    assert empty.status_code == 422 and "Pilih 1 sampai 100 produk." in empty.get_data(as_text=True)
    tampered = client.post("/admin/moderation/bulk", data={"csrf_token": token, "action": "approve",
                                                         "items": [f"{listing['id']}:abc", "x", "²:1"]})
    assert tampered.status_code == 422
    no_csrf = client.post("/admin/moderation/bulk", data={"action": "approve", "items": [f"{listing['id']}:1"]})
    assert no_csrf.status_code == 400
    assert status_of(db_session, listing["id"]) == "pending_review"
    # "Select all" without script: every box ticked
    page = client.get("/admin/moderation?select=all").get_data(as_text=True)
    assert f'value="{listing["id"]}:1" checked' in page
    auth.logout()
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    assert client.post("/admin/moderation/bulk", data={"action": "approve"}).status_code in (400, 403)
