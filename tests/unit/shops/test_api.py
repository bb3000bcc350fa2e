"""Shops API: open, read, edit; access rules per role; bad inputs."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from marketplace.shops.models import Shop

BODY = {
    "name": "Batik Tulis Bu Sari",
    "description": "Batik tulis pewarna alami",
    "city": "Tangerang Selatan",
    "kelurahan": "Cipayung",
}


def open_shop(api, user, **overrides):
    return api.post("/api/v1/shops", as_=user, json={**BODY, **overrides})


def shop_count(db_session) -> int:
    return db_session.scalar(select(func.count(Shop.id)))


def test_artisan_opens_a_shop_and_reads_it_back(api):
    artisan = api.make_user("artisan")
    resp = open_shop(api, artisan)
    assert resp.status_code == 201, resp.json
    shop = resp.json
    assert shop["name"] == "Batik Tulis Bu Sari" and shop["slug"] == "batik-tulis-bu-sari"
    assert (shop["city"], shop["kelurahan"], shop["sentra"], shop["sentra_id"]) == ("Tangerang Selatan", "Cipayung", None, None)
    assert shop["kecamatan"] == "Ciputat" and shop["owner_id"] == artisan.id
    assert shop["approved_listings_count"] == 0

    me = api.get("/api/v1/shops/me", as_=artisan)
    assert me.status_code == 200 and me.json["id"] == shop["id"]
    public = api.get(f"/api/v1/shops/{shop['id']}")
    assert public.status_code == 200 and public.json["name"] == shop["name"]


def test_place_names_are_canonicalised_and_the_sentra_is_the_admins(api):
    resp = open_shop(api, api.make_user("artisan"), city="bekasi", kelurahan="  harapan   jaya ")
    assert resp.status_code == 201, resp.json
    assert (resp.json["city"], resp.json["kelurahan"], resp.json["sentra"]) == ("Bekasi", "Harapan Jaya", None)
    # the old free-text sentra is no input any more: a clear 422 naming it, no shop opened
    typed = open_shop(api, api.make_user("artisan"), sentra="Sentra Batik Ciputat")
    assert typed.status_code == 422 and "sentra" in typed.json["error"]["fields"]
    # an admin puts the shop in a sentra of its kelurahan; the shop then names it
    admin = api.make_user("admin")
    centre = api.post("/api/v1/admin/sentra", as_=admin, json={
        "name": "Sentra Tenun Harapan Jaya", "city": "Bekasi", "kelurahan": "Harapan Jaya", "focus": "tenun"}).json
    assert api.patch(f"/api/v1/admin/shops/{resp.json['id']}", as_=admin,
                     json={"sentra_id": centre["id"]}).status_code == 200
    shown = api.get(f"/api/v1/shops/{resp.json['id']}").json
    assert (shown["sentra"], shown["sentra_id"]) == ("Sentra Tenun Harapan Jaya", centre["id"])


def test_second_shop_is_409(api, db_session):
    artisan = api.make_user("artisan")
    assert open_shop(api, artisan).status_code == 201
    again = open_shop(api, artisan, name="Toko Kedua")
    assert again.status_code == 409 and again.json["error"]["code"] == "shop_exists"
    assert shop_count(db_session) == 1


def test_slugs_are_unique(api):
    first = open_shop(api, api.make_user("artisan")).json
    second = open_shop(api, api.make_user("artisan")).json
    third = open_shop(api, api.make_user("artisan"), name="Batik Tulis Bu Sari!!").json
    assert [first["slug"], second["slug"], third["slug"]] == [
        "batik-tulis-bu-sari", "batik-tulis-bu-sari-2", "batik-tulis-bu-sari-3"]


def test_get_shop_counts_only_approved_listings(api, catalog):
    shop = catalog.shop()
    for status in ("approved", "approved", "pending_review", "rejected", "draft"):
        catalog.listing(shop, status=status)
    resp = api.get(f"/api/v1/shops/{shop.id}")
    assert resp.status_code == 200 and resp.json["approved_listings_count"] == 2


def test_unknown_shop_is_404(api):
    resp = api.get("/api/v1/shops/999999")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"


@pytest.mark.parametrize("role, status", [(None, 401), ("buyer", 403), ("admin", 403), ("artisan", 201)])
def test_who_may_open_a_shop(api, db_session, role, status):
    user = api.make_user(role) if role else None
    resp = open_shop(api, user)
    assert resp.status_code == status, resp.json
    assert shop_count(db_session) == (1 if status == 201 else 0)


@pytest.mark.parametrize("role, status", [(None, 401), ("buyer", 403), ("admin", 403)])
def test_who_may_see_and_edit_my_shop(api, role, status):
    user = api.make_user(role) if role else None
    assert api.get("/api/v1/shops/me", as_=user).status_code == status
    assert api.patch("/api/v1/shops/me", as_=user, json={"name": "X"}).status_code == status


def test_artisan_without_shop_gets_404_on_me(api):
    artisan = api.make_user("artisan")
    assert api.get("/api/v1/shops/me", as_=artisan).status_code == 404
    assert api.patch("/api/v1/shops/me", as_=artisan, json={"name": "X"}).status_code == 404


def test_anyone_may_view_a_shop(api):
    shop = open_shop(api, api.make_user("artisan")).json
    for role in (None, "buyer", "artisan", "admin"):
        user = api.make_user(role) if role else None
        assert api.get(f"/api/v1/shops/{shop['id']}", as_=user).status_code == 200


def test_patch_changes_only_what_is_sent_and_keeps_the_slug(api):
    artisan = api.make_user("artisan")
    before = open_shop(api, artisan).json
    resp = api.patch("/api/v1/shops/me", as_=artisan, json={"name": "Batik Cipayung Lestari"})
    assert resp.status_code == 200, resp.json
    assert resp.json["name"] == "Batik Cipayung Lestari" and resp.json["sentra"] is None
    assert resp.json["slug"] == before["slug"] and resp.json["kelurahan"] == "Cipayung"
    moved = api.patch("/api/v1/shops/me", as_=artisan, json={"city": "Bekasi", "kelurahan": "Margahayu"})
    assert moved.status_code == 200 and (moved.json["city"], moved.json["kelurahan"]) == ("Bekasi", "Margahayu")


def test_patch_rejects_a_kelurahan_outside_the_current_city(api):
    artisan = api.make_user("artisan")
    open_shop(api, artisan)
    resp = api.patch("/api/v1/shops/me", as_=artisan, json={"kelurahan": "Margahayu"})
    assert resp.status_code == 422 and "kelurahan" in resp.json["error"]["fields"]
    assert api.get("/api/v1/shops/me", as_=artisan).json["kelurahan"] == "Cipayung"
    resp = api.patch("/api/v1/shops/me", as_=artisan, json={"city": "Bekasi"})
    assert resp.status_code == 422 and "kelurahan" in resp.json["error"]["fields"]


@pytest.mark.parametrize(
    "change, field",
    [
        ({"name": None}, "name"),
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": 42}, "name"),
        ({"name": "x" * 121}, "name"),
        ({"city": "Jakarta Selatan"}, "city"),
        ({"city": 7}, "city"),
        ({"kelurahan": "Menteng"}, "kelurahan"),
        ({"kelurahan": "Margahayu"}, "kelurahan"),  # a Bekasi kelurahan with city Tangerang Selatan
        ({"sentra": ["a"]}, "sentra"),
        ({"description": {"x": 1}}, "description"),
        ({"owner_id": 1}, "owner_id"),
        ({"name": "Toko\u0000Nul"}, "name"),
        ({"slug": "mine"}, "slug"),
    ],
)
def test_bad_inputs_are_422_naming_the_field(api, db_session, change, field):
    resp = open_shop(api, api.make_user("artisan"), **change)
    assert resp.status_code == 422, resp.json
    assert resp.json["error"]["code"] == "validation_error"
    assert field in resp.json["error"]["fields"], resp.json
    assert shop_count(db_session) == 0


@pytest.mark.parametrize("missing", ["name", "city", "kelurahan"])
def test_missing_required_fields(api, missing):
    body = {k: v for k, v in BODY.items() if k != missing}
    resp = api.post("/api/v1/shops", as_=api.make_user("artisan"), json=body)
    assert resp.status_code == 422 and missing in resp.json["error"]["fields"]


def test_non_json_bodies(api):
    artisan = api.make_user("artisan")
    resp = api.post("/api/v1/shops", as_=artisan, data="name=x", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415
    resp = api.post("/api/v1/shops", as_=artisan, data="{nope", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_json"
    resp = api.post("/api/v1/shops", as_=artisan, json=["not", "an", "object"])
    assert resp.status_code == 422
    resp = api.patch("/api/v1/shops/me", as_=artisan, data="x", content_type="text/plain")
    assert resp.status_code == 415


def test_shops_are_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"/api/v1/shops", "/api/v1/shops/me", "/api/v1/shops/{shop_id}", "/api/v1/listings"} <= set(paths)
