"""The impact API and dashboard: admins only, bad periods and groupings refused, CSV equal to the JSON."""

from __future__ import annotations

import csv
import io
import re

import pytest

from marketplace.impact import export
from tests.unit.impact import dataset

URL = "/api/v1/admin/impact"


@pytest.fixture
def seeded(db_session):
    dataset.seed(db_session)
    db_session.commit()


def test_only_admins_see_the_figures(api, seeded):
    assert api.get(f"{URL}?{dataset.QUERY}").status_code == 401
    for role in ("buyer", "artisan"):
        assert api.get(f"{URL}?{dataset.QUERY}", as_=api.make_user(role)).status_code == 403
    answer = api.get(f"{URL}?group_by=city&{dataset.QUERY}", as_=api.make_user("admin"))
    assert answer.status_code == 200
    body = answer.get_json()
    assert {i["group"]: i["gmv_idr"] for i in body["items"]} == {"Tangerang Selatan": 330_000, "Bekasi": 157_000}
    assert body["totals"]["orders"] == 5
    assert body["from"].startswith("2025-12-31T17:00:00")


@pytest.mark.parametrize("query, field", [
    ("from=2026-02-01&to=2026-01-01", "to"),
    ("from=2020-01-01&to=2026-01-01", "from"),
    ("group_by=province", "group_by"),
    ("from=1%20Jan", "from"),
    ("format=xml", "format"),
    ("to=0001-01-01", "to"),
])
def test_bad_input_is_a_422_naming_the_field(api, query, field):
    answer = api.get(f"{URL}?{query}", as_=api.make_user("admin"))
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize("table, key", [("items", "items"), ("months", "months"), ("provinces", "buyer_provinces")])
def test_every_csv_table_parses_and_matches_the_json(api, seeded, table, key):
    admin = api.make_user("admin")
    body = api.get(f"{URL}?{dataset.QUERY}", as_=admin).get_json()
    answer = api.get(f"{URL}?{dataset.QUERY}&format=csv&table={table}", as_=admin)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    expected = body[key] + ([{**body["totals"], "group": export.TOTAL}] if table == "items" else [])
    assert len(rows) == len(expected)
    for row, want in zip(rows, expected):
        assert row == {k: "" if want[k] is None else str(want[k]) for k in row}


def test_the_dashboard_draws_its_charts_without_scripts(client, auth, api, seeded):
    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    page = client.get(f"/admin/impact?{dataset.QUERY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    # GMV per group and per month; the programme figures' funnel and one kelurahan grid per city.
    assert len(re.findall(r"<svg [^>]*class=\"chart ", html)) == 5 and "<script" not in html.split("</header>")[-1]
    assert "Cipayung" in html and "Jawa Timur" in html
    csv_page = client.get(f"/admin/impact/export.csv?table=provinces&{dataset.QUERY}")
    assert csv_page.status_code == 200 and csv_page.get_data(as_text=True).startswith("province,orders")
    assert client.get("/admin/impact?from=2026-02-01&to=2026-01-01").status_code == 422
