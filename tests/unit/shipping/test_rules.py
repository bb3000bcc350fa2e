"""Shipping rules without app or database: provinces, zones, billable weight, the rate table."""

from __future__ import annotations

import json

import pytest

from marketplace.config import Settings
from marketplace.errors import ValidationFailed
from marketplace.shipping import provinces, rates, services
from marketplace.shipping.rates import RateTableError, ZoneRate
from marketplace.shops import places

RATES = rates.parse_rates({
    "version": 7,
    "currency": "IDR",
    "zones": {
        "same_city": {"first_kg_idr": 9_000, "additional_kg_idr": 4_000},
        "same_province": {"first_kg_idr": 12_000, "additional_kg_idr": 7_000},
        "rest_of_java": {"first_kg_idr": 18_000, "additional_kg_idr": 12_000},
        "outside_java": {"first_kg_idr": 45_000, "additional_kg_idr": 30_000},
    },
})


def _table(**zone_overrides):
    zones = {z: {"first_kg_idr": 1_000, "additional_kg_idr": 500} for z in rates.ZONES}
    zones.update(zone_overrides)
    return {"version": 1, "currency": "IDR", "zones": zones}


# --- provinces ------------------------------------------------------------------------------------


def test_the_38_provinces_with_the_papua_splits():
    assert len(provinces.PROVINCES) == 38 == len(set(provinces.PROVINCES))
    assert {"Papua", "Papua Barat", "Papua Barat Daya", "Papua Selatan", "Papua Tengah",
            "Papua Pegunungan"} <= set(provinces.PROVINCES)
    assert provinces.JAVA == {"Banten", "DKI Jakarta", "Jawa Barat", "Jawa Tengah", "DI Yogyakarta", "Jawa Timur"}
    assert provinces.JAVA <= set(provinces.PROVINCES)


@pytest.mark.parametrize("typed, canonical", [
    ("Jawa Barat", "Jawa Barat"),
    ("  jawa   BARAT ", "Jawa Barat"),
    ("Provinsi Jawa Timur", "Jawa Timur"),
    ("DKI Jakarta", "DKI Jakarta"),
    ("Jakarta", "DKI Jakarta"),
    ("D.K.I. Jakarta", "DKI Jakarta"),
    ("DI Yogyakarta", "DI Yogyakarta"),
    ("D.I. Yogyakarta", "DI Yogyakarta"),
    ("Daerah Istimewa Yogyakarta", "DI Yogyakarta"),
    ("yogyakarta", "DI Yogyakarta"),
    ("papua pegunungan", "Papua Pegunungan"),
    ("Bangka Belitung", "Kepulauan Bangka Belitung"),
])
def test_province_input_is_matched_loosely_and_answered_canonically(typed, canonical):
    assert provinces.canonical_province(typed) == canonical


@pytest.mark.parametrize("typed", ["", "   ", "Atlantis", "Jawa", "Irian Jaya Tengah", None, 7])
def test_unknown_provinces_are_none(typed):
    assert provinces.canonical_province(typed) is None


def test_every_programme_city_has_its_province():
    assert set(provinces.CITY_PROVINCE) == set(places.CITIES)
    assert provinces.province_of_city("Tangerang Selatan") == "Banten"
    assert provinces.province_of_city("Bekasi") == "Jawa Barat"


# --- zones ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin, city, province, zone", [
    ("Tangerang Selatan", "Tangerang Selatan", "Banten", "same_city"),
    ("Tangerang Selatan", "kota  tangerang SELATAN ", "banten", "same_city"),
    ("Tangerang Selatan", "Serang", "Banten", "same_province"),
    ("Tangerang Selatan", "Tangerang", "Banten", "same_province"),
    ("Tangerang Selatan", "Bandung", "Jawa Barat", "rest_of_java"),
    ("Tangerang Selatan", "Jakarta Selatan", "Jakarta", "rest_of_java"),
    ("Tangerang Selatan", "Makassar", "Sulawesi Selatan", "outside_java"),
    ("Bekasi", "Kabupaten Bekasi", "Jawa Barat", "same_city"),
    ("Bekasi", "Kab. Bekasi", "Jawa Barat", "same_city"),
    ("bekasi", "Bogor", "Jawa Barat", "same_province"),
    ("Bekasi", "Yogyakarta", "DI Yogyakarta", "rest_of_java"),
    ("Bekasi", "Denpasar", "Bali", "outside_java"),
    ("Bekasi", "Wamena", "Papua Pegunungan", "outside_java"),
    # the same city name in another province is not the same city
    ("Bekasi", "Bekasi", "Banten", "rest_of_java"),
])
def test_zone_for(origin, city, province, zone):
    assert services.zone_for(origin, city, province) == zone


def test_an_unknown_province_is_a_validation_error_naming_the_field():
    with pytest.raises(ValidationFailed) as exc:
        services.zone_for("Bekasi", "Gotham", "Atlantis")
    assert list(exc.value.fields) == ["province"]


def test_an_origin_outside_the_programme_cannot_be_quoted():
    with pytest.raises(services.UnknownOrigin) as exc:
        services.zone_for("Surabaya", "Bandung", "Jawa Barat")
    assert exc.value.code == "unknown_origin"


# --- weight ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("grams, kg", [(0, 1), (1, 1), (999, 1), (1000, 1), (1001, 2), (2000, 2), (2001, 3), (12_345, 13)])
def test_weight_is_rounded_up_to_whole_kilograms_at_least_one(grams, kg):
    assert services.billable_kg(grams) == kg


def test_quote_weight_prices_first_and_additional_kilograms():
    rate = ZoneRate(first_kg_idr=9_000, additional_kg_idr=4_000)
    assert services.quote_weight(300, rate) == (1, 9_000)
    assert services.quote_weight(1_000, rate) == (1, 9_000)
    assert services.quote_weight(1_001, rate) == (2, 13_000)
    assert services.quote_weight(4_500, rate) == (5, 25_000)


def test_negative_weight_is_a_bug():
    with pytest.raises(ValueError):
        services.billable_kg(-1)


def test_quote_for_shop_is_the_one_rule():
    q = services.quote_for_shop("tangerang selatan", 2_400, "Makassar", "sulawesi selatan", RATES)
    assert q == services.Quote(zone="outside_java", weight_grams=2_400, billable_kg=3,
                               shipping_idr=45_000 + 2 * 30_000, origin_city="Tangerang Selatan")


# --- the rate table -------------------------------------------------------------------------------


def test_the_package_rate_table_is_valid_and_covers_every_zone():
    table = rates.load_rates()
    assert table.currency == "IDR" and table.version >= 1
    assert set(table.zones) == set(rates.ZONES)
    assert table.for_zone("same_city") == ZoneRate(9_000, 4_000)
    assert table.for_zone("outside_java") == ZoneRate(45_000, 30_000)
    # nearer is never dearer
    firsts = [table.for_zone(z).first_kg_idr for z in rates.ZONES]
    assert firsts == sorted(firsts)


@pytest.mark.parametrize("raw, says", [
    ({"version": 1, "currency": "IDR", "zones": {"same_city": {"first_kg_idr": 1, "additional_kg_idr": 1}}},
     "missing zones: same_province, rest_of_java, outside_java"),
    (_table(mars={"first_kg_idr": 1, "additional_kg_idr": 1}), "unknown zones: mars"),
    (_table(same_city={"first_kg_idr": -1, "additional_kg_idr": 1}), "first_kg_idr"),
    (_table(same_city={"first_kg_idr": 9000.5, "additional_kg_idr": 1}), "first_kg_idr"),
    (_table(same_city={"first_kg_idr": "9000", "additional_kg_idr": 1}), "first_kg_idr"),
    (_table(same_city={"first_kg_idr": True, "additional_kg_idr": 1}), "first_kg_idr"),
    (_table(same_city={"first_kg_idr": 9000}), "additional_kg_idr"),
    ({**_table(), "currency": "USD"}, "currency"),
    ({**_table(), "version": None}, "version"),
    ([], "not valid"),
])
def test_a_bad_rate_table_is_refused_saying_what_is_wrong(raw, says):
    with pytest.raises(RateTableError) as exc:
        rates.parse_rates(raw, source="test.json")
    assert "test.json" in str(exc.value) and says in str(exc.value)


def test_a_file_that_is_missing_or_not_json_is_a_clear_error(tmp_path):
    with pytest.raises(RateTableError, match="cannot be read"):
        rates.load_rates(str(tmp_path / "nope.json"))
    bad = tmp_path / "bad.json"
    bad.write_text("{version: 1", encoding="utf-8")
    with pytest.raises(RateTableError, match="is not JSON"):
        rates.load_rates(str(bad))


def test_shipping_rates_file_overrides_the_package_table(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(_table(same_city={"first_kg_idr": 5_000, "additional_kg_idr": 2_500})), encoding="utf-8")
    settings = Settings.from_env({"SHIPPING_RATES_FILE": str(path)})
    assert settings.shipping_rates_file == str(path)
    table = rates.rates_for(settings)
    assert table.for_zone("same_city") == ZoneRate(5_000, 2_500) and table.source == str(path.resolve())
    assert rates.rates_for(Settings.from_env({})).source == str(rates.PACKAGE_FILE)


def test_the_table_is_read_once_per_path(tmp_path):
    path = tmp_path / "rates.json"
    path.write_text(json.dumps(_table()), encoding="utf-8")
    first = rates.load_rates(str(path))
    path.write_text("not json any more", encoding="utf-8")
    assert rates.load_rates(str(path)) is first
