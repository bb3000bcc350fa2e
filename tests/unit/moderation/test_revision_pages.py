"""The queue page decides on the revision it showed; an edit made since is shown, never approved unseen."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import func, select

from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision

CHANGED = "Produk ini berubah sejak Anda membukanya."


@pytest.fixture
def admin(market, auth):
    assert auth.login(market.admin.email, market.admin.password).status_code == 302
    return market.admin


def hidden_revisions(html: str, listing_id: int) -> set[str]:
    """The revision each of the listing's decision forms carries."""
    article = html[html.index(f'id="listing-{listing_id}"'):]
    article = article[:article.index("</article>")]
    return set(re.findall(r'<input type="hidden" name="revision" value="(\d+)">', article))


def decisions(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ModerationDecision))


def test_each_form_carries_the_revision_shown(client, admin, market, api):
    seller = market.seller()
    listing = market.listing(seller)
    api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"weight_grams": 650})
    html = client.get("/admin/moderation").get_data(as_text=True)
    assert hidden_revisions(html, listing["id"]) == {"2"}
    assert html.count('name="revision"') == 2  # the approve and the reject form


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_decision_on_an_edited_listing_shows_the_new_content_instead(client, auth, admin, market, api, db_session, action):
    seller = market.seller()
    listing = market.listing(seller, title="Kain batik tulis Ciputat", price_idr=350_000)
    page = client.get("/admin/moderation").get_data(as_text=True)  # the admin opens the queue…
    assert "Kain batik tulis Ciputat" in page and hidden_revisions(page, listing["id"]) == {"1"}
    api.patch(f"/api/v1/listings/{listing['id']}", as_=seller,  # …the seller swaps the content…
              json={"title": "Barang lain sama sekali", "price_idr": 999_000_000})

    form = {"csrf_token": auth.csrf_token("/admin/moderation"), "revision": "1", "reason": "Foto kurang jelas"}
    if action == "approve":
        del form["reason"]
    resp = client.post(f"/admin/moderation/{listing['id']}/{action}", data=form)  # …the admin clicks

    assert resp.status_code == 409
    html = resp.get_data(as_text=True)
    article = html[html.index(f'id="listing-{listing["id"]}"'):html.index("</article>")]
    assert CHANGED in article and "Barang lain sama sekali" in article and "Rp 999.000.000" in article
    assert "Kain batik tulis Ciputat" not in html
    top = html[:html.index(f'id="listing-{listing["id"]}"')]  # said at the top too, linking to the listing
    assert f'<a href="#listing-{listing["id"]}">Barang lain sama sekali</a>' in top
    assert hidden_revisions(html, listing["id"]) == {"2"}  # deciding again is on what is shown now
    if action == "reject":
        assert "Foto kurang jelas" in article  # the reason typed is kept
    db_session.rollback()
    assert db_session.get(Listing, listing["id"]).status == "pending_review" and decisions(db_session) == 0

    form["revision"] = "2"
    assert client.post(f"/admin/moderation/{listing['id']}/{action}", data=form).status_code == 302
    db_session.rollback()
    row = db_session.get(Listing, listing["id"])
    assert row.status == {"approve": "approved", "reject": "rejected"}[action] and decisions(db_session) == 1


@pytest.mark.parametrize("action", ["approve", "reject"])
def test_a_form_without_a_revision_decides_nothing(client, auth, admin, market, db_session, action):
    listing = market.listing(market.seller())
    resp = client.post(f"/admin/moderation/{listing['id']}/{action}",
                       data={"csrf_token": auth.csrf_token("/admin/moderation"), "reason": "Foto kurang jelas"})
    assert resp.status_code == 422
    assert "Buka kembali produk ini" in resp.get_data(as_text=True)
    assert decisions(db_session) == 0


def test_a_revision_that_is_not_a_number_is_400(client, auth, admin, market, db_session):
    listing = market.listing(market.seller())
    resp = client.post(f"/admin/moderation/{listing['id']}/approve",
                       data={"csrf_token": auth.csrf_token("/admin/moderation"), "revision": "satu"})
    assert resp.status_code == 400 and decisions(db_session) == 0


def test_the_queue_shows_how_the_listing_is_made(client, admin, market, api):
    """Fulfilment is part of a revision, so the moderator must be able to see it change."""
    seller = market.seller()
    listing = market.listing(seller)
    assert "Siap kirim" in client.get("/admin/moderation").get_data(as_text=True)
    api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"fulfilment": "made_to_order", "processing_days": 5})
    page = " ".join(client.get("/admin/moderation").get_data(as_text=True).split())
    assert "Dibuat sesuai pesanan (pre-order): Siap dikirim dalam 5 hari" in page
