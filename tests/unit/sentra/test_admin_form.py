"""The admins' sentra form: create and edit with a photo (the listing photos' pipeline and storage),
assign the kelurahan's shops; bad input is a form error (never a 500); every change is audited."""

from __future__ import annotations

import io
import re

import pytest
from sqlalchemy import select

from marketplace.audit.models import AdminAction
from marketplace.sentra.models import Sentra
from marketplace.shops.models import Shop
from tests.unit.listings.helpers import Market, image_bytes

NEW = {"name": "Sentra Batik Cipayung", "city": "Tangerang Selatan", "kelurahan": "cipayung", "focus": "batik",
       "story": "Perajin batik tulis sejak 1998."}


@pytest.fixture
def media_dir(settings):
    from pathlib import Path

    return Path(settings.media_root)


@pytest.fixture
def market(api, db_session):
    return Market(api, db_session)


@pytest.fixture
def admin(market, auth):
    assert auth.login(market.admin.email, market.admin.password).status_code == 302
    return market.admin


def photo(data: bytes | None = None, name: str = "sentra.jpg") -> tuple:
    return (io.BytesIO(data if data is not None else image_bytes(size=(640, 480))), name)


def post(client, auth, path: str, data: dict):
    return client.post(path, data={**data, "csrf_token": auth.csrf_token(path)}, content_type="multipart/form-data")


def actions(db, target_type: str) -> list[str]:
    db.rollback()
    return list(db.scalars(select(AdminAction.action).where(AdminAction.target_type == target_type)
                           .order_by(AdminAction.id)))


def test_an_admin_creates_a_sentra_with_a_photo_then_edits_it_and_assigns_shops(client, auth, admin, market,
                                                                              db_session, media_dir):
    inside, other = market.seller(kelurahan="Cipayung"), market.seller(kelurahan="Cipayung")
    market.seller(kelurahan="Pondok Cabe Udik")  # another kelurahan: not offered

    resp = post(client, auth, "/admin/sentra", {**NEW, "photo": photo()})
    assert resp.status_code == 302, resp.get_data(as_text=True)[:2000]
    db_session.rollback()
    sentra = db_session.scalar(select(Sentra))
    assert (sentra.name, sentra.kelurahan, sentra.focus) == ("Sentra Batik Cipayung", "Cipayung", "batik")
    assert sentra.photo_key and (media_dir / sentra.photo_key).is_file() and (media_dir / sentra.photo_thumb_key).is_file()
    assert resp.headers["Location"].endswith(f"/admin/sentra/{sentra.id}/edit")

    page = client.get(f"/admin/sentra/{sentra.id}/edit").get_data(as_text=True)
    assert "Ubah sentra" in page and 'value="Sentra Batik Cipayung"' in page and "Kain" not in page
    offered = set(map(int, re.findall(r'name="shop_ids" value="(\d+)"', page)))
    assert offered == {inside.shop_id, other.shop_id}
    first_photo = sentra.photo_key

    edit = {"name": "Sentra Batik Tulis Cipayung", "focus": "batik", "story": "Cerita baru", "shop_ids": [str(inside.shop_id)],
            "photo": photo(image_bytes("PNG", size=(300, 300)), "baru.png")}
    resp = post(client, auth, f"/admin/sentra/{sentra.id}/edit", edit)
    assert resp.status_code == 302
    db_session.rollback()
    sentra = db_session.get(Sentra, sentra.id)
    assert (sentra.name, sentra.story) == ("Sentra Batik Tulis Cipayung", "Cerita baru")
    assert sentra.photo_key != first_photo and (media_dir / sentra.photo_key).is_file()
    assert db_session.get(Shop, inside.shop_id).sentra_id == sentra.id
    assert db_session.get(Shop, other.shop_id).sentra_id is None
    # the public page shows the new name and its artisan
    public = client.get(f"/sentra/{sentra.slug}").get_data(as_text=True)
    assert "Sentra Batik Tulis Cipayung" in public and f"Toko {inside.id}" in public

    # unticking takes the shop out again
    assert post(client, auth, f"/admin/sentra/{sentra.id}/edit", {**edit, "photo": photo(), "shop_ids": []}).status_code == 302
    db_session.rollback()
    assert db_session.get(Shop, inside.shop_id).sentra_id is None
    # created, its photo; each edit: its fields, its photo
    assert actions(db_session, "sentra") == ["sentra.create"] + ["sentra.update"] * 5
    assert actions(db_session, "shop") == ["shop.assign_sentra", "shop.assign_sentra"]


def test_bad_input_is_a_form_error_and_changes_nothing(client, auth, admin, market, db_session, media_dir):
    outsider = market.seller(kelurahan="Pondok Cabe Udik")
    cases = [
        ({**NEW, "name": ""}, 422, "Wajib diisi."),
        ({**NEW, "name": "x" * 121}, 422, "120"),
        ({**NEW, "focus": "plastik"}, 422, None),
        ({**NEW, "kelurahan": "Atlantis"}, 422, None),
        ({**NEW, "photo": photo(b"not an image at all", "x.jpg")}, 415, "JPEG"),
        ({**NEW, "photo": photo(b"", "empty.jpg")}, None, None),  # an empty file input is no photo
    ]
    for data, status, text in cases[:-1]:
        resp = post(client, auth, "/admin/sentra", data)
        assert resp.status_code == status, (data.get("name"), resp.status_code)
        if text:
            assert text in resp.get_data(as_text=True)
    db_session.rollback()
    assert db_session.scalars(select(Sentra)).all() == []
    assert not any(media_dir.rglob("sentra/*"))

    created = post(client, auth, "/admin/sentra", {**NEW})
    assert created.status_code == 302
    db_session.rollback()
    sentra = db_session.scalar(select(Sentra))
    path = f"/admin/sentra/{sentra.id}/edit"
    taken = post(client, auth, "/admin/sentra", {**NEW, "name": "sentra batik cipayung"})
    assert taken.status_code == 409 and "Kelurahan ini sudah memiliki sentra dengan nama itu." in taken.get_data(as_text=True)
    for data, status in [
        ({"name": "Baru", "focus": "batik", "story": "", "shop_ids": [str(outsider.shop_id)]}, 422),  # another kelurahan
        ({"name": "Baru", "focus": "batik", "story": "", "shop_ids": ["abc"]}, 422),
        ({"name": "Baru", "focus": "batik", "story": "", "photo": photo(b"GIF89a....", "x.gif")}, 415),
        ({"name": "", "focus": "batik", "story": ""}, 422),
    ]:
        assert post(client, auth, path, data).status_code == status, data
    assert client.post(path, data={"name": "Baru", "focus": "batik"}).status_code == 400  # no CSRF token
    db_session.rollback()
    assert db_session.get(Sentra, sentra.id).name == "Sentra Batik Cipayung"
    assert db_session.get(Shop, outsider.shop_id).sentra_id is None
    assert client.get("/admin/sentra/999999/edit").status_code == 404
    assert actions(db_session, "sentra") == ["sentra.create"]


def test_the_sentra_form_is_for_admins_only(client, auth, api, market):
    centre = api.post("/api/v1/admin/sentra", as_=market.admin, json={**NEW, "kelurahan": "Cipayung"}).json
    assert client.get(f"/admin/sentra/{centre['id']}/edit").status_code == 302  # to the login page
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    assert client.get(f"/admin/sentra/{centre['id']}/edit").status_code == 403
    assert client.get("/en/admin/sentra").status_code == 403
