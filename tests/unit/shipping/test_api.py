"""``GET /api/v1/shipping/quote``: zones from a Tangerang Selatan shop, weight × quantity, bad input, access."""

from __future__ import annotations

import json

import pytest

from marketplace.web.app import create_app
from marketplace.shipping.rates import RateTableError

QUOTE = "/api/v1/shipping/quote"


@pytest.fixture
def seller(market):
    return market.seller(city="Tangerang Selatan", kelurahan="Cipayung")


@pytest.fixture
def listing(market, seller):
    return market.approved_listing(seller, weight_grams=400)


def _quote(api, listing_id, city, province, quantity=None, **kw):
    params = {"listing_id": listing_id, "city": city, "province": province}
    if quantity is not None:
        params["quantity"] = quantity
    return api.get(QUOTE, query_string=params, **kw)


@pytest.mark.parametrize("city, province, zone, idr", [
    ("Tangerang Selatan", "Banten", "same_city", 9_000),
    ("Serang", "Banten", "same_province", 12_000),
    ("Bandung", "Jawa Barat", "rest_of_java", 18_000),
    ("Makassar", "Sulawesi Selatan", "outside_java", 45_000),
])
def test_each_zone_from_a_tangerang_selatan_shop(api, listing, city, province, zone, idr):
    resp = _quote(api, listing["id"], city, province)
    assert resp.status_code == 200, resp.json
    assert resp.json == {"zone": zone, "origin_city": "Tangerang Selatan", "weight_grams": 400,
                         "billable_kg": 1, "shipping_idr": idr}


def test_weight_times_quantity_is_rounded_up_to_the_kilogram(api, listing):
    # 3 × 400 g = 1.2 kg → 2 kg: 18.000 + 12.000 to Bandung
    body = _quote(api, listing["id"], "Bandung", "Jawa Barat", quantity=3).json
    assert (body["weight_grams"], body["billable_kg"], body["shipping_idr"]) == (1_200, 2, 30_000)
    # 5 × 400 g = 2 kg exactly → 2 kg: 45.000 + 30.000 to Makassar
    body = _quote(api, listing["id"], "Makassar", "Sulawesi Selatan", quantity=5).json
    assert (body["weight_grams"], body["billable_kg"], body["shipping_idr"]) == (2_000, 2, 75_000)


def test_place_names_are_matched_loosely(api, listing):
    body = _quote(api, listing["id"], "  kota tangerang selatan ", "banten").json
    assert body["zone"] == "same_city"
    assert _quote(api, listing["id"], "Jakarta Selatan", "Jakarta").json["zone"] == "rest_of_java"


def _fields(resp):
    assert resp.status_code == 422, (resp.status_code, resp.json)
    assert resp.json["error"]["code"] == "validation_error" and resp.json["error"]["message"]
    return resp.json["error"]["fields"]


def test_an_unknown_province_is_422_naming_province(api, listing):
    fields = _fields(_quote(api, listing["id"], "Gotham", "Atlantis"))
    assert list(fields) == ["province"] and fields["province"] == ["Choose one of Indonesia's 38 provinces."]
    assert list(_fields(_quote(api, listing["id"], "Bandung", ""))) == ["province"]


@pytest.mark.parametrize("quantity", ["0", "abc", "101", "-1", "1.5"])
def test_a_bad_quantity_is_422(api, listing, quantity):
    assert list(_fields(_quote(api, listing["id"], "Bandung", "Jawa Barat", quantity=quantity))) == ["quantity"]


def test_missing_or_bad_city_and_listing_id_are_422(api, listing):
    assert list(_fields(_quote(api, listing["id"], "", "Jawa Barat"))) == ["city"]
    assert list(_fields(_quote(api, listing["id"], "x" * 81, "Jawa Barat"))) == ["city"]
    assert list(_fields(_quote(api, "abc", "Bandung", "Jawa Barat"))) == ["listing_id"]
    assert set(_fields(api.get(QUOTE))) == {"listing_id", "city", "province"}


def test_unknown_and_unapproved_listings_are_404(api, market, seller, listing):
    resp = _quote(api, 999_999, "Bandung", "Jawa Barat")
    assert resp.status_code == 404 and resp.json["error"]["code"] == "not_found"
    pending = market.listing(seller)
    assert _quote(api, pending["id"], "Bandung", "Jawa Barat").status_code == 404
    assert _quote(api, pending["id"], "Bandung", "Jawa Barat", as_=api.make_user("buyer")).status_code == 404
    # its artisan may quote it, as they may see it
    assert _quote(api, pending["id"], "Bandung", "Jawa Barat", as_=seller).status_code == 200


def test_the_quote_is_in_the_openapi_document(api):
    doc = api.get("/api/v1/openapi.json").json
    params = {p["name"] for p in doc["paths"]["/api/v1/shipping/quote"]["get"]["parameters"]}
    assert {"listing_id", "quantity", "city", "province"} <= params


def test_the_rates_file_setting_is_honoured(tmp_path, settings, api, listing):
    path = tmp_path / "rates.json"
    zones = {z: {"first_kg_idr": 1_000, "additional_kg_idr": 500}
             for z in ("same_city", "same_province", "rest_of_java", "outside_java")}
    path.write_text(json.dumps({"version": 2, "currency": "IDR", "zones": zones}), encoding="utf-8")
    app = create_app(settings.with_overrides(shipping_rates_file=str(path)))
    try:
        resp = app.test_client().get(QUOTE, query_string={"listing_id": listing["id"], "city": "Makassar",
                                                          "province": "Sulawesi Selatan", "quantity": 3})
        assert resp.status_code == 200 and resp.json["shipping_idr"] == 1_000 + 500
    finally:
        app.extensions["db"].dispose()


def test_a_bad_rates_file_stops_the_app_at_start_up(tmp_path, settings):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps({"version": 1, "currency": "IDR", "zones": {}}), encoding="utf-8")
    with pytest.raises(RateTableError, match="missing zones"):
        create_app(settings.with_overrides(shipping_rates_file=str(path)))
