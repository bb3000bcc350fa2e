"""Variants on the pages: the seller's form builds the grid and creates them; the listing page shows
the option pickers; adding to the cart without a variant, or an unavailable combination, is refused."""

from __future__ import annotations

import json
import re
from html import unescape

import pytest
from sqlalchemy import select

from marketplace.cart.models import CartItem
from marketplace.listings.models import Listing
from tests.unit.listings.test_pages import form_data, listings
from tests.unit.listings.test_variants_api import shirt


def text(resp) -> str:
    return unescape(resp.get_data(as_text=True))


@pytest.fixture
def seller(market, auth):
    user = market.seller()
    assert auth.login(user.email, user.password).status_code == 302
    return user


def grid_data(token: str, rows: dict[tuple[str, ...], tuple[str, str]], **overrides) -> dict:
    data = form_data(token, price_idr="", stock="", option_name_0="ukuran", option_values_0="M, L",
                     option_name_1="warna", option_values_1="Merah, Biru", **overrides)
    for n, (values, (price, stock)) in enumerate(rows.items()):
        data.update({f"variant-{n}-values": json.dumps(list(values)), f"variant-{n}-price_idr": price,
                     f"variant-{n}-stock": stock, f"variant-{n}-sku": ""})
    return data


ROWS = {("M", "Merah"): ("200.000", "2"), ("M", "Biru"): ("200.000", "0"),
        ("L", "Merah"): ("Rp 250.000", "1"), ("L", "Biru"): ("250000", "3")}


def test_the_seller_form_builds_the_grid_without_script_and_creates_the_variants(client, auth, seller, db_session):
    token = auth.csrf_token("/seller/listings/new")
    page = client.post("/seller/listings/new", data={**grid_data(token, {}), "build_grid": "1"})
    html = text(page)
    assert page.status_code == 200 and listings(db_session) == []
    legends = re.findall(r'<fieldset class="variant-row">\s*<legend>([^<]+)</legend>', html)
    assert legends == ["M · Merah", "M · Biru", "L · Merah", "L · Biru"]

    resp = client.post("/seller/listings/new", data=grid_data(token, ROWS))
    assert resp.status_code == 302, text(resp)
    [listing] = listings(db_session)
    assert [(v.options, v.price_idr, v.stock) for v in listing.active_variants] == [
        ({"ukuran": "M", "warna": "Merah"}, 200_000, 2), ({"ukuran": "M", "warna": "Biru"}, 200_000, 0),
        ({"ukuran": "L", "warna": "Merah"}, 250_000, 1), ({"ukuran": "L", "warna": "Biru"}, 250_000, 3)]
    assert (listing.price_idr, listing.stock, listing.has_variants) == (200_000, 6, True)

    # the edit page shows the grid filled in
    html = text(client.get(f"/seller/listings/{listing.id}/edit"))
    assert 'value="ukuran"' in html and 'value="M, L"' in html and 'value="250000"' in html


def test_a_bad_row_is_shown_on_its_row_and_nothing_is_saved(client, auth, seller, db_session):
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data=grid_data(token, {**ROWS, ("L", "Biru"): ("5", "3")}))
    html = text(resp)
    assert resp.status_code == 422 and listings(db_session) == []
    row = re.search(r'<fieldset class="variant-row has-error">(.*?)</fieldset>', html, re.S).group(1)
    assert "L · Biru" in row and "Antara Rp 1.000 dan Rp 1.000.000.000." in row


@pytest.fixture
def shirt_page(api, market):
    seller = market.seller()
    body = api.post("/api/v1/listings", as_=seller, json=shirt()).json
    market.approve(body["id"])
    return body


def test_the_listing_page_has_option_pickers_and_says_from(client, shirt_page):
    html = text(client.get(f"/listings/{shirt_page['id']}"))
    assert "mulai Rp 200.000" in html
    for position, values in ((0, ["M", "L"]), (1, ["Merah", "Biru"])):
        found = re.findall(rf'<input type="radio" name="option_{position}" value="([^"]+)"', html)
        assert found == values
    assert "<legend>ukuran</legend>" in html and "<legend>warna</legend>" in html
    assert "Tinggal 1." in html and "variant-picker.js" in html
    assert "from Rp 200.000" in text(client.get(f"/en/listings/{shirt_page['id']}"))


def _add(client, auth, listing_id: int, **extra):
    token = auth.csrf_token(f"/listings/{listing_id}")
    return client.post("/cart/items", data={"listing_id": listing_id, "quantity": 1, "csrf_token": token, **extra})


def test_adding_without_a_variant_shows_an_error_and_adds_nothing(client, auth, shirt_page, buyer, db_session):
    auth.login(buyer.email, buyer.password)
    resp = _add(client, auth, shirt_page["id"])
    assert resp.status_code == 422
    assert "Pilih varian" in text(resp)
    db_session.rollback()
    assert db_session.scalars(select(CartItem)).all() == []


def test_an_unavailable_combination_cannot_be_added_and_a_picked_one_can(client, auth, shirt_page, buyer, db_session):
    auth.login(buyer.email, buyer.password)
    sold_out = _add(client, auth, shirt_page["id"], option_0="M", option_1="Biru")
    assert sold_out.status_code == 409 and "Habis" in text(sold_out)
    unknown = _add(client, auth, shirt_page["id"], option_0="XL", option_1="Biru")
    assert unknown.status_code == 422
    resp = _add(client, auth, shirt_page["id"], option_0="L", option_1="Merah")
    assert resp.status_code == 302
    db_session.rollback()
    [item] = db_session.scalars(select(CartItem)).all()
    wanted = next(v["id"] for v in shirt_page["variants"] if v["options"] == {"ukuran": "L", "warna": "Merah"})
    assert item.variant_id == wanted
    cart = text(client.get("/cart"))
    assert "ukuran: L, warna: Merah" in cart and "Rp 250.000" in cart


def test_a_visitor_can_add_a_variant_and_keep_it_at_login(client, auth, shirt_page, buyer, db_session):
    resp = _add(client, auth, shirt_page["id"], option_0="M", option_1="Merah")
    assert resp.status_code == 302
    assert "ukuran: M, warna: Merah" in text(client.get("/cart"))
    auth.login(buyer.email, buyer.password)
    db_session.rollback()
    [item] = db_session.scalars(select(CartItem)).all()
    assert item.variant_id and db_session.get(Listing, item.listing_id).has_variants


def test_the_edit_form_picks_a_photo_per_variant_and_refuses_another_listings(client, auth, seller, market,
                                                                             db_session):
    token = auth.csrf_token("/seller/listings/new")
    assert client.post("/seller/listings/new", data=grid_data(token, ROWS)).status_code == 302
    [listing] = listings(db_session)
    assert market.add_image(seller, listing.id).status_code == 201
    assert market.add_image(seller, listing.id).status_code == 201
    other = market.listing(seller)
    assert market.add_image(seller, other["id"]).status_code == 201
    db_session.rollback()
    first, second = sorted(db_session.get(Listing, listing.id).images, key=lambda i: (i.position, i.id))
    foreign = db_session.get(Listing, other["id"]).images[0].id
    db_session.rollback()
    edit = f"/seller/listings/{listing.id}/edit"
    html = text(client.get(edit))
    assert html.count('name="variant-0-image_id"') == 1 and "Foto varian ini" in html

    data = grid_data(auth.csrf_token(edit), ROWS)
    resp = client.post(edit, data={**data, "variant-1-image_id": str(foreign)})
    assert resp.status_code == 422  # a photo of another listing: refused, nothing saved
    db_session.rollback()
    assert all(v.image_id is None for v in db_session.get(Listing, listing.id).active_variants)
    db_session.rollback()
    resp = client.post(edit, data={**data, "variant-1-image_id": str(second.id)})
    assert resp.status_code == 302, text(resp)
    db_session.rollback()
    chosen = {tuple(v.options.values()): v.image_id for v in db_session.get(Listing, listing.id).active_variants}
    assert chosen == {("M", "Merah"): None, ("M", "Biru"): second.id, ("L", "Merah"): None, ("L", "Biru"): None}
    html = text(client.get(edit))
    assert f'<option value="{second.id}" selected>' in html and first.id != second.id


def test_without_script_two_options_are_offered_as_the_existing_combinations_sold_out_disabled(
        client, auth, shirt_page, buyer, db_session):
    """Radio groups could put together a sold-out or missing combination: without script the page offers
    one select of the variants that exist, sold-out ones disabled, and the radio groups are hidden."""
    html = text(client.get(f"/listings/{shirt_page['id']}"))
    picker = re.search(r'<select id="add-variant" name="variant_id" required>(.*?)</select>', html, re.S).group(1)
    offered = re.findall(r'<option value="(\d*)"( disabled)?>([^<]*)</option>', picker)
    ids = {tuple(v["options"].values()): v["id"] for v in shirt_page["variants"]}
    assert [(value, bool(disabled)) for value, disabled, _ in offered] == [
        ("", False), (str(ids["M", "Merah"]), False), (str(ids["M", "Biru"]), True),
        (str(ids["L", "Merah"]), False), (str(ids["L", "Biru"]), True)]
    assert "L · Merah — Rp 250.000" in offered[3][2] and "(Habis)" in offered[2][2]
    assert html.count('<fieldset class="variant-options" hidden>') == 2
    radios = re.findall(r'<input type="radio" name="option_\d" value="[^"]+" required( disabled)?>', html)
    assert len(radios) == 4 and all(radios)  # none can be sent without the script

    auth.login(buyer.email, buyer.password)
    sold_out = _add(client, auth, shirt_page["id"], variant_id=ids["M", "Biru"])  # a hand-made request
    assert sold_out.status_code == 409 and "Habis" in text(sold_out)
    other = _add(client, auth, shirt_page["id"], variant_id=ids["L", "Merah"] + 1000)
    assert other.status_code == 422
    assert _add(client, auth, shirt_page["id"], variant_id=ids["L", "Merah"]).status_code == 302
    db_session.rollback()
    [item] = db_session.scalars(select(CartItem)).all()
    assert item.variant_id == ids["L", "Merah"]


def test_with_one_option_the_radios_stay_and_a_sold_out_value_is_disabled(client, api, market):
    seller = market.seller()
    body = api.post("/api/v1/listings", as_=seller, json=shirt(variants=[
        {"options": {"ukuran": "M"}, "price_idr": 200_000, "stock": 0},
        {"options": {"ukuran": "L"}, "price_idr": 210_000, "stock": 2}])).json
    market.approve(body["id"])
    html = text(client.get(f"/listings/{body['id']}"))
    assert 'id="add-variant"' not in html and 'variant-options" hidden' not in html
    assert '<input type="radio" name="option_0" value="M" required disabled>' in html
    assert '<input type="radio" name="option_0" value="L" required>' in html
