"""Programme figures against values worked out by hand on ``dataset`` (both backends)."""

from __future__ import annotations

import pytest

from marketplace.figures import services
from marketplace.impact import schemas
from tests.unit.figures import dataset
from tests.unit.impact.dataset import utc

PERIOD = schemas.period_of({"from_": dataset.FIRST, "to": dataset.LAST})
NOW = utc(2026, 3, 1)


@pytest.fixture
def seeded(tx):
    return dataset.seed(tx)


def figures_of(row):
    return {k: row[k] for k in services.FIGURES}


def test_admin_figures_match_the_hand_computed_values(tx, seeded):
    found = services.figures(tx, PERIOD, suppress=False, now=NOW)
    assert found["booth_sales_counted"] is True  # orders.fulfilment exists: booth sales are counted (none here)
    assert figures_of(found["totals"]) == {
        "artisans": 4, "active_artisans": 4, "young_active_artisans": 2, "new_shops": 3, "listings": 2,
        "orders": 5, "gmv_idr": 487_000, "outside_city_orders": 3, "outside_province_orders": 2,
        "outside_city_share": 0.6, "outside_province_share": 0.4, "booth_orders": 0, "booth_gmv_idr": 0,
        "events_held": 2, "attendees": 4}
    cities = {r["city"]: r for r in found["cities"]}
    assert figures_of(cities["Tangerang Selatan"]) == {
        "artisans": 3, "active_artisans": 3, "young_active_artisans": 2, "new_shops": 2, "listings": 2,
        "orders": 2, "gmv_idr": 330_000, "outside_city_orders": 1, "outside_province_orders": 1,
        "outside_city_share": 0.5, "outside_province_share": 0.5, "booth_orders": 0, "booth_gmv_idr": 0,
        "events_held": 1, "attendees": 3}
    bekasi = cities["Bekasi"]
    assert (bekasi["artisans"], bekasi["young_active_artisans"], bekasi["orders"], bekasi["gmv_idr"]) == (1, 0, 3, 157_000)
    assert (bekasi["outside_city_share"], bekasi["outside_province_share"]) == (0.6667, 0.3333)
    assert (bekasi["events_held"], bekasi["attendees"]) == (1, 1)
    kelurahan = {(r["city"], r["kelurahan"]): r for r in found["kelurahan"]}
    assert set(kelurahan) == {("Tangerang Selatan", "Cipayung"), ("Tangerang Selatan", "Serua"), ("Bekasi", "Kranji")}
    cipayung = kelurahan[("Tangerang Selatan", "Cipayung")]
    assert (cipayung["artisans"], cipayung["gmv_idr"], cipayung["events_held"], cipayung["attendees"]) == (1, 330_000, 1, 3)
    serua = kelurahan[("Tangerang Selatan", "Serua")]
    assert (serua["artisans"], serua["new_shops"], serua["listings"], serua["young_active_artisans"]) == (2, 1, 2, 1)
    [sentra] = found["sentra"]
    assert (sentra["sentra"], sentra["kelurahan"], sentra["artisans"], sentra["orders"], sentra["attendees"]) == (
        "Sentra Batik Cipayung", "Cipayung", 1, 2, 3)


def test_the_training_funnel_and_its_median_days(tx, seeded):
    found = services.figures(tx, PERIOD, suppress=False, now=NOW)
    cities = {r["city"]: r["funnel"] for r in found["cities"]}
    # E1: A (shop before: 0 days; listing before the shop: 0; sale 16 d 10 h after the listing), X (no shop),
    # Z (shop 9 d 22 h after; listing 4 d after).
    assert cities["Tangerang Selatan"] == {
        "suppressed": False, "trained": 3, "opened_shop": 2, "first_listing": 2, "first_sale": 1,
        "days_training_to_shop": 5.0, "days_shop_to_listing": 2.0, "days_listing_to_sale": 16.4}
    assert cities["Bekasi"] == {
        "suppressed": False, "trained": 1, "opened_shop": 1, "first_listing": 0, "first_sale": 0,
        "days_training_to_shop": 0.0, "days_shop_to_listing": None, "days_listing_to_sale": None}
    assert found["totals"]["funnel"] == {
        "suppressed": False, "trained": 4, "opened_shop": 3, "first_listing": 2, "first_sale": 1,
        "days_training_to_shop": 0.0, "days_shop_to_listing": 2.0, "days_listing_to_sale": 16.4}
    assert found["sentra"][0]["funnel"]["trained"] == 3


def test_public_figures_show_no_number_for_groups_under_five(tx, seeded):
    found = services.figures(tx, PERIOD, now=NOW)
    for row in [found["totals"], *found["cities"], *found["kelurahan"], *found["sentra"]]:
        assert row["suppressed"] is True
        assert all(row[k] is None for k in services.FIGURES)
        assert row["funnel"]["suppressed"] is True and row["funnel"]["trained"] is None


def test_one_city_only(tx, seeded):
    found = services.figures(tx, PERIOD, city="Bekasi", suppress=False, now=NOW)
    assert [r["city"] for r in found["cities"]] == ["Bekasi"]
    assert found["totals"]["gmv_idr"] == 157_000 and found["totals"]["funnel"]["trained"] == 1


def test_a_hidden_group_cannot_be_worked_out_by_subtraction():
    """Kelurahan of 6, 5 and 4 artisans in a city of 15: hiding only the 4 would leave it as 15 - 6 - 5."""
    sums = {("total", ()): {"artisans": 15}, ("city", ("Bekasi",)): {"artisans": 15},
            ("kelurahan", ("Bekasi", "Kranji")): {"artisans": 6}, ("kelurahan", ("Bekasi", "Jatiasih")): {"artisans": 5},
            ("kelurahan", ("Bekasi", "Bintara")): {"artisans": 4}, ("sentra", (1,)): {"artisans": 12}}
    hidden = services._hidden(sums, {1: ("Bekasi", "Kranji", "Sentra Kranji")})
    # Bintara (4) and then Jatiasih (the smallest shown); the sentra: 3 artisans of Bekasi are in none,
    # and it is the only sentra, so the city would give them away: the sentra is hidden.
    assert hidden == {("kelurahan", ("Bekasi", "Bintara")), ("kelurahan", ("Bekasi", "Jatiasih")), ("sentra", (1,))}
