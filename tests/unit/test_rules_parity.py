"""The API and the pages give the same message for the same bad input (one set of rules per input).

Each case sends one bad value through the JSON API and through the page form; the API's message for
the field must be the message the page shows next to that field (in English, ``?lang=en``; the
Indonesian page shows its translation), with the same 422 status.
"""

from __future__ import annotations

import html

import pytest

from tests.unit.listings.helpers import listing_body

LISTING_FORM = {"title": "Tas anyaman pandan", "description": "Dianyam tangan.", "category": "anyaman",
                "price_idr": "185000", "stock": "4", "weight_grams": "350", "fulfilment": "ready_to_ship",
                "processing_days": "0"}
SHOP = {"name": "Anyaman Pandan Margahayu", "description": "", "city": "Bekasi", "kelurahan": "Margahayu"}


def field_errors(resp, field: str, within: str = "") -> list[str]:
    """The messages shown under one field of a page form (the first form after ``within``)."""
    page = resp.get_data(as_text=True)
    start = page.index(f'name="{field}"', page.index(within) if within else 0)
    block = page[start:page.index("</div>", start)]
    return [html.unescape(part.split("</p>")[0]) for part in block.split('class="field-error" role="alert">')[1:]]


def same_message(api_resp, page_resp, field: str, within: str = "") -> str:
    assert api_resp.status_code == 422 and page_resp.status_code == 422, (api_resp.json, page_resp.status_code)
    [api_message] = api_resp.json["error"]["fields"][field]
    assert field_errors(page_resp, field, within) == [api_message]
    return api_message


@pytest.mark.parametrize("api_change,form_change,field,message", [
    ({"title": "ab"}, {"title": "ab"}, "title", "Use 3 to 140 characters."),
    ({"price_idr": 500}, {"price_idr": "500"}, "price_idr", "From Rp 1.000 to Rp 1.000.000.000."),
    ({"fulfilment": "made_to_order", "processing_days": 0}, {"fulfilment": "made_to_order", "processing_days": "0"},
     "processing_days", "Made-to-order needs at least 1 processing day."),
    ({"category": "senjata"}, {"category": "senjata"}, "category", "Choose a category."),
])
def test_listing_rules_say_the_same_on_the_api_and_the_page(api, auth, client, market, api_change, form_change,
                                                             field, message):
    seller = market.seller()
    api_resp = api.post("/api/v1/listings", as_=seller, json=listing_body(**api_change))
    auth.login(seller.email, seller.password)
    path = "/seller/listings/new"
    page_resp = client.post(f"{path}?lang=en", data={**LISTING_FORM, **form_change, "csrf_token": auth.csrf_token(path)})
    assert same_message(api_resp, page_resp, field) == message
    assert market.events("listing.submitted") == []


def test_made_to_order_on_edit_says_the_same_as_a_patch(api, auth, client, market):
    seller = market.seller()
    listing = market.listing(seller)
    api_resp = api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"fulfilment": "made_to_order"})
    auth.login(seller.email, seller.password)
    path = f"/seller/listings/{listing['id']}/edit"
    page_resp = client.post(f"{path}?lang=en", data={**LISTING_FORM, "fulfilment": "made_to_order",
                                                     "csrf_token": auth.csrf_token(path)})
    assert same_message(api_resp, page_resp, "processing_days") == "Made-to-order needs at least 1 processing day."


@pytest.mark.parametrize("change,field,message", [
    ({"kelurahan": "Atlantis"}, "kelurahan", "This kelurahan is not in the chosen city."),
    ({"kelurahan": "Cipayung"}, "kelurahan", "This kelurahan is not in the chosen city."),
    ({"city": "Jakarta"}, "city", "Choose Tangerang Selatan or Bekasi."),
    ({"name": "   "}, "name", "This field is required."),
])
def test_shop_rules_say_the_same_on_the_api_and_the_page(api, auth, client, change, field, message):
    artisan = api.make_user("artisan")
    api_resp = api.post("/api/v1/shops", as_=artisan, json={**SHOP, **change})
    auth.login(artisan.email, artisan.password)
    path = "/seller/shop/new"
    page_resp = client.post(f"{path}?lang=en", data={**SHOP, **change, "csrf_token": auth.csrf_token(path)})
    assert same_message(api_resp, page_resp, field) == message


def test_a_short_password_says_the_same_on_the_api_and_the_page(api, auth, client):
    body = {"email": "budi@example.id", "password": "short", "name": "Budi", "role": "buyer"}
    api_resp = api.post("/api/v1/auth/register", json=body)
    page_resp = client.post("/register?lang=en", data={**body, "csrf_token": auth.csrf_token("/register")})
    assert same_message(api_resp, page_resp, "password") == "Use at least 10 characters."


def test_a_short_reject_reason_says_the_same_on_the_api_and_the_page(api, auth, client, market):
    listing = market.listing(market.seller())
    api_resp = api.post(f"/api/v1/admin/listings/{listing['id']}/reject", as_=market.admin,
                        json={"reason": " ab ", "revision": listing["revision"]})
    auth.login(market.admin.email, market.admin.password)
    page_resp = client.post(f"/admin/moderation/{listing['id']}/reject?lang=en",
                            data={"reason": " ab ", "revision": listing["revision"],
                                  "csrf_token": auth.csrf_token("/admin/moderation")})
    # the queue also has the bulk form's reason field: read the listing's own reject form
    own_form = f'action="/admin/moderation/{listing["id"]}/reject'
    assert same_message(api_resp, page_resp, "reason", own_form) == "Give a reason of 3 to 1000 characters."
