"""The new-product page: prices as Indonesians write them, photos in the same form, no photo on purpose."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.web.forms import parse_rupiah
from marketplace.listings.models import Listing
from tests.unit.listings.helpers import image_bytes
from tests.unit.listings.test_pages import form_data, listings


@pytest.fixture
def seller(market, auth):
    user = market.seller()
    assert auth.login(user.email, user.password).status_code == 302
    return user


@pytest.mark.parametrize("text, amount", [
    ("150000", 150_000), ("150.000", 150_000), ("Rp 150.000", 150_000), ("rp150.000,-", 150_000),
    ("Rp. 1.250.000", 1_250_000), ("150.000,00", 150_000), (" 75.000 ", 75_000),
    ("150.5", None), ("1.50", None), ("abc", None), ("-5", None), ("150,000.50", None), ("١٥٠", None),
])
def test_parse_rupiah(text, amount):
    assert parse_rupiah(text) == amount


@pytest.mark.parametrize("typed", ["150.000", "Rp 150.000", "150000"])
def test_price_typed_the_indonesian_way_is_accepted(client, auth, seller, db_session, typed):
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data=form_data(token, price_idr=typed))
    assert resp.status_code == 302
    [listing] = listings(db_session)
    assert listing.price_idr == 150_000


@pytest.mark.parametrize("lang, message", [
    ("id", "Tulis harga dalam rupiah, misalnya 150.000 atau 150000."),
    ("en", "Enter the price in rupiah, e.g. 150.000 or 150000."),
])
def test_a_price_that_is_no_amount_gets_one_clear_error(client, auth, seller, db_session, lang, message):
    client.set_cookie("lang", lang)
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data=form_data(token, price_idr="150.5"))
    html = resp.get_data(as_text=True)
    assert resp.status_code == 400 and html.count('class="field-error"') == 1 and message in html
    assert 'value="150.5"' in html  # what was typed stays in the box
    assert listings(db_session) == []


def test_price_box_is_text_not_number(client, seller):
    html = client.get("/seller/listings/new").get_data(as_text=True)
    [tag] = re.findall(r'<input[^>]*name="price_idr"[^>]*>', html)
    assert 'type="text"' in tag and 'inputmode="numeric"' in tag


def test_listing_created_with_its_photos_in_one_form(client, auth, seller, market, db_session):
    token = auth.csrf_token("/seller/listings/new")
    data = form_data(token, without_photos="")
    del data["without_photos"]
    data["photos"] = [(io.BytesIO(image_bytes()), "a.jpg"), (io.BytesIO(image_bytes("PNG")), "b.png")]
    resp = client.post("/seller/listings/new", data=data, content_type="multipart/form-data")
    assert resp.status_code == 302
    [listing] = listings(db_session)
    assert listing.status == "pending_review" and len(listing.images) == 2
    assert [img.position for img in listing.images] == [0, 1]
    assert market.types(listing.id)[0] == "listing.submitted"


def test_without_photos_the_seller_must_say_so(client, auth, seller, db_session):
    client.set_cookie("lang", "en")
    token = auth.csrf_token("/seller/listings/new")
    data = form_data(token)
    del data["without_photos"]
    resp = client.post("/seller/listings/new", data=data)
    html = resp.get_data(as_text=True)
    assert resp.status_code == 422 and "Add at least one photo" in html and listings(db_session) == []
    client.set_cookie("lang", "id")
    resp = client.post("/seller/listings/new", data=data)
    assert "Tambahkan setidaknya satu foto" in resp.get_data(as_text=True)


def test_a_bad_photo_leaves_no_listing(client, auth, seller, db_session):
    token = auth.csrf_token("/seller/listings/new")
    data = form_data(token)
    data["photos"] = [(io.BytesIO(image_bytes()), "a.jpg"), (io.BytesIO(b"not an image"), "b.jpg")]
    resp = client.post("/seller/listings/new", data=data, content_type="multipart/form-data")
    assert 400 <= resp.status_code < 500 and 'class="field-error"' in resp.get_data(as_text=True)
    db_session.rollback()
    assert list(db_session.scalars(select(Listing))) == []


def test_the_form_offers_photos_with_previews(client, seller):
    html = client.get("/seller/listings/new").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in html and 'name="photos"' in html and "multiple" in html
    assert "listing-form.js" in html and "<script>" not in html
