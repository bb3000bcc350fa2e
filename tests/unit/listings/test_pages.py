"""Seller pages: add a product, edit it, photos, withdraw/resubmit; errors shown with 4xx; access."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import func, select

from marketplace.listings.models import CATEGORIES, Listing, ListingImage
from tests.unit.listings.helpers import image_bytes


def form_data(token: str, **overrides) -> dict:
    data = {"title": "Tas anyaman pandan", "description": "Dianyam tangan di Setu.", "category": "anyaman",
            "price_idr": "185000", "stock": "4", "weight_grams": "350", "fulfilment": "ready_to_ship",
            "processing_days": "0", "without_photos": "y", "csrf_token": token}
    data.update(overrides)
    return data


@pytest.fixture
def seller(market, auth):
    user = market.seller()
    assert auth.login(user.email, user.password).status_code == 302
    return user


def listings(db) -> list[Listing]:
    db.rollback()
    return list(db.scalars(select(Listing)))


def test_create_form_happy_path(client, auth, seller, market, db_session):
    page = client.get("/seller/listings/new")
    assert page.status_code == 200 and "Tambah produk" in page.get_data(as_text=True)
    resp = client.post("/seller/listings/new", data=form_data(auth.csrf_token("/seller/listings/new")))
    [listing] = listings(db_session)
    assert resp.status_code == 302 and resp.headers["Location"] == f"/seller/listings/{listing.id}/edit"
    assert (listing.title, listing.price_idr, listing.status) == ("Tas anyaman pandan", 185_000, "pending_review")
    assert market.types(listing.id) == ["listing.submitted"]
    edit = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "Menunggu tinjauan" in edit and "Produk Anda sudah dikirim untuk ditinjau." in edit


@pytest.mark.parametrize("overrides,status,field_message", [
    ({"title": "ab"}, 422, "Gunakan 3 sampai 140 karakter."),
    ({"price_idr": "abc"}, 400, "Tulis harga dalam rupiah, misalnya 150.000 atau 150000."),  # not even a number
    ({"price_idr": "5"}, 422, "Antara Rp 1.000 dan Rp 1.000.000.000."),
    ({"stock": ""}, 422, "Wajib diisi."),
    ({"category": "senjata"}, 422, "Pilih kategori."),
])
def test_create_form_errors_are_shown_with_4xx(client, auth, seller, db_session, overrides, status, field_message):
    resp = client.post("/seller/listings/new", data=form_data(auth.csrf_token("/seller/listings/new"), **overrides))
    assert resp.status_code == status
    html = resp.get_data(as_text=True)
    assert 'class="field-error"' in html and field_message in html
    assert listings(db_session) == []


def test_create_form_made_to_order_error_is_422(client, auth, seller, db_session):
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data=form_data(token, fulfilment="made_to_order", processing_days="0"))
    assert resp.status_code == 422
    assert "Produk pre-order memerlukan waktu proses minimal 1 hari." in resp.get_data(as_text=True)
    resp = client.post("/seller/listings/new", data=form_data(token, title="   ab    "))
    assert resp.status_code in (400, 422) and listings(db_session) == []


def test_create_form_without_csrf_is_rejected(client, seller, db_session):
    data = form_data("x")
    del data["csrf_token"]
    assert client.post("/seller/listings/new", data=data).status_code == 400
    assert listings(db_session) == []


def test_create_without_shop_goes_to_open_shop(client, auth, api):
    user = api.make_user("artisan")
    auth.login(user.email, user.password)
    resp = client.post("/seller/listings/new", data=form_data(auth.csrf_token("/seller/listings/new")))
    assert resp.status_code == 302 and resp.headers["Location"] == "/seller/shop/new"


def test_seller_pages_access(client, auth, api, market):
    owner = market.seller()
    listing = market.listing(owner)
    edit = f"/seller/listings/{listing['id']}/edit"
    for path in ("/seller/listings/new", "/seller/listings", edit):
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login"), path
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    assert client.get("/seller/listings/new").status_code == 403
    auth.logout()
    other = market.seller()
    auth.login(other.email, other.password)
    assert client.get(edit).status_code == 404  # a hidden listing of someone else does not exist for you


def test_edit_approved_listing_goes_back_to_review(client, auth, seller, market, db_session):
    listing = market.approved_listing(seller)
    path = f"/seller/listings/{listing['id']}/edit"
    assert "Disetujui" in client.get(path).get_data(as_text=True)
    resp = client.post(path, data=form_data(auth.csrf_token(path), title=listing["title"], price_idr="400000",
                                            description=listing["description"], category="batik",
                                            stock="3", weight_grams="400"))
    assert resp.status_code == 302
    [row] = listings(db_session)
    assert row.price_idr == 400_000 and row.status == "pending_review"
    updated = market.events("listing.updated")[-1]["data"]
    assert updated["changed_fields"] == ["price_idr"]


def test_edit_form_error_is_422_and_nothing_changes(client, auth, seller, market, db_session):
    listing = market.listing(seller)
    path = f"/seller/listings/{listing['id']}/edit"
    resp = client.post(path, data=form_data(auth.csrf_token(path), weight_grams="0"))
    assert resp.status_code == 422 and "Antara 1 dan 50.000 gram." in resp.get_data(as_text=True)
    assert listings(db_session)[0].weight_grams == 400


def _photo(data: bytes, token: str, name: str = "foto.jpg") -> dict:
    return {"file": (io.BytesIO(data), name), "csrf_token": token}


def test_photo_upload_and_delete_through_pages(client, auth, seller, market, db_session):
    listing = market.listing(seller)
    edit = f"/seller/listings/{listing['id']}/edit"
    token = auth.csrf_token(edit)
    resp = client.post(f"/seller/listings/{listing['id']}/images", data=_photo(image_bytes(), token),
                       content_type="multipart/form-data")
    assert resp.status_code == 302
    db_session.rollback()
    image = db_session.scalars(select(ListingImage)).one()
    html = client.get(edit).get_data(as_text=True)
    assert f"/media/{image.thumb_key}" in html
    resp = client.post(f"/seller/listings/{listing['id']}/images/{image.id}/delete", data={"csrf_token": token})
    assert resp.status_code == 302
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ListingImage)) == 0


def test_bad_photo_is_shown_on_the_page_with_4xx(client, auth, seller, market, db_session):
    listing = market.listing(seller)
    edit = f"/seller/listings/{listing['id']}/edit"
    resp = client.post(f"/seller/listings/{listing['id']}/images",
                       data=_photo(b"plain text, not a photo", auth.csrf_token(edit)), content_type="multipart/form-data")
    assert resp.status_code == 415
    assert "Unggah foto JPEG, PNG, atau WebP." in resp.get_data(as_text=True)
    resp = client.post(f"/seller/listings/{listing['id']}/images", data={"csrf_token": auth.csrf_token(edit)},
                       content_type="multipart/form-data")
    assert resp.status_code == 400 and "Pilih foto." in resp.get_data(as_text=True)
    db_session.rollback()
    assert db_session.scalar(select(func.count()).select_from(ListingImage)) == 0


def test_withdraw_and_resubmit_through_pages(client, auth, seller, market, db_session):
    listing = market.approved_listing(seller)
    edit = f"/seller/listings/{listing['id']}/edit"
    token = auth.csrf_token(edit)
    assert client.post(f"/seller/listings/{listing['id']}/withdraw", data={"csrf_token": token}).status_code == 302
    assert listings(db_session)[0].status == "withdrawn"
    again = client.post(f"/seller/listings/{listing['id']}/withdraw", data={"csrf_token": token})
    assert again.status_code == 409
    assert client.post(f"/seller/listings/{listing['id']}/submit", data={"csrf_token": token}).status_code == 302
    assert listings(db_session)[0].status == "pending_review"


def test_seller_list_shows_status_and_rejection_reason(client, seller, market, api):
    listing = market.listing(seller, title="Keramik gerabah")
    market.reject(listing["id"], "Foto terlalu gelap")
    html = client.get("/seller/listings").get_data(as_text=True)
    assert "Keramik gerabah" in html and "Ditolak" in html and "Foto terlalu gelap" in html


def _category_options(page: str) -> dict[str, str]:
    select = re.search(r'<select id="category" name="category"[^>]*>(.*?)</select>', page, re.S)
    assert select, "no category select"
    return dict(re.findall(r'<option[^>]*value="([^"]*)"[^>]*>([^<]*)</option>', select.group(1)))


def test_category_options_are_translated_labels_not_codes(client, seller):
    options = _category_options(client.get("/seller/listings/new").get_data(as_text=True))
    assert options["anyaman"] == "Anyaman" and options["tenun"] == "Tenun" and options["kuliner"] == "Kuliner"
    assert options["dekorasi"] == "Dekorasi rumah" and options["lainnya"] == "Lainnya"
    english = _category_options(client.get("/en/seller/listings/new").get_data(as_text=True))
    assert english["anyaman"] == "Basketry (anyaman)" and english["kuliner"] == "Food and snacks"
    assert set(options) == set(english) == set(CATEGORIES) | {""}
    assert options[""] == "Pilih kategori…"  # nothing preselected


def test_category_must_be_chosen(client, auth, seller):
    token = auth.csrf_token("/seller/listings/new")
    resp = client.post("/seller/listings/new", data={
        "title": "Tas anyaman pandan", "description": "", "category": "", "price_idr": "85000",
        "stock": "3", "weight_grams": "300", "fulfilment": "ready_to_ship", "csrf_token": token})
    assert resp.status_code == 422 and "Pilih kategori." in resp.get_data(as_text=True)


def test_seller_list_has_one_add_button_and_prices_that_do_not_wrap(client, seller, market):
    market.listing(seller, title="Keramik gerabah", price_idr=15_000)
    html = client.get("/seller/listings").get_data(as_text=True)
    assert html.count('href="/seller/listings/new"') == 1 and 'class="button" href="/seller/listings/new"' in html
    assert '<td class="price">Rp 15.000</td>' in html
