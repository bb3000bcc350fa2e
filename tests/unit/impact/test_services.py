"""Impact figures against values worked out by hand on the small marketplace of ``dataset`` (both backends)."""

from __future__ import annotations

import pytest

from marketplace.impact import schemas, services
from marketplace.sentra.models import Sentra
from tests.unit.impact import dataset

PERIOD = schemas.period_of({"from_": dataset.FIRST, "to": dataset.LAST})


@pytest.fixture
def report(tx):
    dataset.seed(tx)
    return {g: services.report(tx, g, PERIOD) for g in ("kelurahan", "city")}


def by_group(items):
    return {i["group"]: i for i in items}


def test_figures_per_kelurahan_match_the_hand_computed_values(report):
    items = by_group(report["kelurahan"]["items"])
    assert list(items) == ["Cipayung", "Kranji", "Serua"]  # by GMV, then name
    cipayung, kranji, serua = items["Cipayung"], items["Kranji"], items["Serua"]
    assert cipayung == {
        "group": "Cipayung", "group_id": None, "city": "Tangerang Selatan", "active_artisans": 1, "new_artisans": 1,
        "approved_listings": 0, "orders": 2, "gmv_idr": 330_000, "artisan_earnings_idr": 300_000,
        "outside_city_orders": 1, "outside_city_share": 0.5, "outside_city_gmv_share": 0.6667,
        "outside_province_orders": 1, "outside_province_share": 0.5, "outside_province_gmv_share": 0.6667,
        "buyer_cities": 2, "buyers": 1, "repeat_buyer_rate": 1.0,
        "median_hours_to_moderation": 10.0, "median_hours_to_shipping": 36.0,
    }
    # SO3 55.000 + SO5 88.000 − 30.000 refunded + SO6 44.000 (paid 1 Jan 23:00 WIB)
    assert (kranji["orders"], kranji["gmv_idr"]) == (3, 157_000)
    # 50.000 + (80.000 − 27.273 taken back by the refund, commission 2.727 returned) + 40.000
    assert kranji["artisan_earnings_idr"] == 142_727
    assert (kranji["outside_city_orders"], kranji["outside_city_share"], kranji["outside_city_gmv_share"]) == (2, 0.6667, 0.6306)
    assert (kranji["outside_province_orders"], kranji["outside_province_share"],
            kranji["outside_province_gmv_share"]) == (1, 0.3333, 0.2803)
    assert (kranji["buyer_cities"], kranji["buyers"], kranji["repeat_buyer_rate"]) == (3, 3, 0.0)
    assert (kranji["median_hours_to_shipping"], kranji["median_hours_to_moderation"]) == (72.0, None)
    assert (serua["active_artisans"], serua["new_artisans"], serua["approved_listings"], serua["orders"]) == (1, 0, 1, 0)
    assert (serua["gmv_idr"], serua["outside_city_share"], serua["median_hours_to_moderation"]) == (0, None, 6.0)


def test_totals_are_the_whole_marketplace_not_a_sum_of_groups(report):
    t = report["kelurahan"]["totals"]
    assert (t["active_artisans"], t["new_artisans"], t["approved_listings"]) == (3, 2, 1)
    assert (t["orders"], t["gmv_idr"], t["artisan_earnings_idr"]) == (5, 487_000, 442_727)
    assert (t["outside_city_share"], t["outside_city_gmv_share"]) == (0.6, 0.655)
    assert (t["outside_province_share"], t["outside_province_gmv_share"]) == (0.4, 0.5421)
    assert (t["buyer_cities"], t["buyers"], t["repeat_buyer_rate"]) == (4, 3, 0.3333)
    assert (t["median_hours_to_moderation"], t["median_hours_to_shipping"]) == (8.0, 48.0)


def test_grouping_by_city_adds_its_kelurahan(report):
    items = by_group(report["city"]["items"])
    assert set(items) == {"Tangerang Selatan", "Bekasi"}
    tangsel = items["Tangerang Selatan"]
    assert (tangsel["active_artisans"], tangsel["new_artisans"], tangsel["approved_listings"]) == (2, 1, 1)
    assert (tangsel["orders"], tangsel["gmv_idr"], tangsel["median_hours_to_moderation"]) == (2, 330_000, 8.0)
    assert items["Bekasi"]["gmv_idr"] == 157_000


def test_months_and_buyer_provinces_use_wib_and_count_orders_once(report):
    assert report["city"]["months"] == [
        {"month": "2026-01", "orders": 5, "gmv_idr": 487_000, "outside_city_gmv_idr": 319_000}]
    assert report["city"]["buyer_provinces"] == [
        {"province": "Jawa Barat", "orders": 2, "gmv_idr": 333_000, "buyers": 2},
        {"province": "Banten", "orders": 1, "gmv_idr": 110_000, "buyers": 1},
        {"province": "Jawa Timur", "orders": 1, "gmv_idr": 44_000, "buyers": 1},
    ]


def test_a_period_with_nothing_in_it_has_no_groups(tx):
    dataset.seed(tx)
    empty = schemas.period_of({"from_": dataset.LAST.replace(year=2024), "to": dataset.LAST.replace(year=2024)})
    result = services.report(tx, "kelurahan", empty)
    assert (result["items"], result["months"], result["buyer_provinces"]) == ([], [], [])


def test_grouping_by_sentra_names_each_sentra_and_keeps_shops_without_one(tx):
    shops = dataset.seed(tx)
    shop = shops["a"]
    tx.add(Sentra(id=9001, name="Sentra Batik Cipayung", slug="sentra-batik-cipayung", city=shop.city,
                  kelurahan=shop.kelurahan, focus="batik"))
    tx.flush()
    shop.sentra_id = 9001
    tx.flush()
    items = by_group(services.report(tx, "sentra", PERIOD)["items"])
    assert items["Sentra Batik Cipayung"]["gmv_idr"] == 330_000
    assert items["Sentra Batik Cipayung"]["group_id"] == 9001
    assert items[None]["gmv_idr"] == 157_000


def test_the_totals_are_the_same_whichever_the_grouping_and_never_a_group_of_their_own(tx):
    """On PostgreSQL the groups and the totals come from one statement (grouping sets), where the totals
    row and a group whose key is empty (shops in no sentra, a city's missing second key) both carry
    NULL keys; they must not be mistaken for each other on either backend."""
    shops = dataset.seed(tx)
    tx.add(Sentra(id=9002, name="Sentra Anyaman Kranji", slug="sentra-anyaman-kranji", city=shops["b"].city,
                  kelurahan=shops["b"].kelurahan, focus="anyaman"))
    tx.flush()
    shops["b"].sentra_id = 9002
    tx.flush()
    reports = {g: services.report(tx, g, PERIOD) for g in ("kelurahan", "city", "sentra")}
    totals = [r["totals"] for r in reports.values()]
    assert totals[0] == totals[1] == totals[2]
    t = totals[0]
    # refunded O3 and unpaid O5 count as nothing; O7 is outside the period
    assert (t["group"], t["group_id"], t["city"], t["orders"], t["gmv_idr"]) == (None, None, None, 5, 487_000)
    assert (t["buyers"], t["repeat_buyer_rate"], t["median_hours_to_shipping"]) == (3, 0.3333, 48.0)
    sentra = by_group(reports["sentra"]["items"])
    assert set(sentra) == {"Sentra Anyaman Kranji", None}
    # no sentra: shop A (O1, O2's part) and shop C (listing only)
    assert (sentra[None]["orders"], sentra[None]["gmv_idr"], sentra[None]["active_artisans"]) == (2, 330_000, 2)
    assert (sentra[None]["median_hours_to_moderation"], sentra[None]["median_hours_to_shipping"]) == (8.0, 36.0)
    assert (sentra["Sentra Anyaman Kranji"]["orders"], sentra["Sentra Anyaman Kranji"]["gmv_idr"]) == (3, 157_000)


def test_many_reports_on_one_connection_in_every_grouping_agree(tx):
    """psycopg prepares a statement after a few runs on one connection; the report's temporary table
    must not change a column's type under a prepared statement (PostgreSQL then refuses the cached plan:
    a 500 after the sixth report of the day, found by the benchmark)."""
    dataset.seed(tx)
    first = {g: services.report(tx, g, PERIOD) for g in services.GROUPINGS}
    for _ in range(6):
        for g in services.GROUPINGS:
            assert services.report(tx, g, PERIOD) == first[g]
    assert first["sentra"]["items"][0]["group"] is None and first["sentra"]["totals"]["gmv_idr"] == 487_000
