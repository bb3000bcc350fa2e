"""A moderation card says how the product is fulfilled and when it has no photo, and a refused
decision brings the moderator back to the card it was made on."""

from __future__ import annotations

import re

import pytest


@pytest.fixture
def admin(market, auth):
    assert auth.login(market.admin.email, market.admin.password).status_code == 302
    return market.admin


def card(html: str, listing_id: int) -> str:
    match = re.search(rf'<article[^>]*id="listing-{listing_id}".*?</article>', html, re.S)
    assert match, f"no card for listing {listing_id}"
    return match.group(0)


@pytest.mark.parametrize("lang, preorder, ready, no_photo", [
    ("id", "Dibuat sesuai pesanan (pre-order) · 14 hari", "Siap kirim · Stok 3", "Tanpa foto"),
    ("en", "Made to order · 14 days", "Ready to ship · 3 in stock", "No photo"),
])
def test_card_shows_fulfilment_and_missing_photo(client, admin, market, lang, preorder, ready, no_photo):
    client.set_cookie("lang", lang)
    seller = market.seller()
    made = market.listing(seller, title="Kebaya Pesanan", fulfilment="made_to_order", processing_days=14, stock=0)
    stocked = market.listing(seller, title="Tas Siap", stock=3)
    market.add_image(seller, stocked["id"])
    html = client.get("/admin/moderation", follow_redirects=True).get_data(as_text=True)
    made_card, stocked_card = card(html, made["id"]), card(html, stocked["id"])
    assert preorder in made_card and no_photo in made_card
    assert "Stok: 0" not in made_card and "Stock: 0" not in made_card
    assert ready in stocked_card and no_photo not in stocked_card


def test_reject_without_reason_returns_to_its_card(client, auth, admin, market):
    seller = market.seller()
    first = market.listing(seller, title="Pertama")
    second = market.listing(seller, title="Kedua")
    html = client.get("/admin/moderation", follow_redirects=True).get_data(as_text=True)
    # Every decision form posts to its card's anchor, so the answer (an error) opens at that card.
    assert f'/admin/moderation/{second["id"]}/reject#listing-{second["id"]}' in html
    assert f'/admin/moderation/{second["id"]}/approve#listing-{second["id"]}' in html
    form = {"csrf_token": auth.csrf_token("/admin/moderation"), "revision": second["revision"], "reason": ""}
    resp = client.post(f"/admin/moderation/{second['id']}/reject", data=form)
    assert resp.status_code == 422
    page = resp.get_data(as_text=True)
    assert 'class="field-error"' in card(page, second["id"]) and 'class="field-error"' not in card(page, first["id"])
