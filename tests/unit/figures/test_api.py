"""The programme figures API and the birth year: public figures hide small groups and never show a person;
the admins' figures show everything; a bad birth year is a 422 with nothing written."""

from __future__ import annotations

import csv
import io

import pytest
from sqlalchemy import select

from marketplace.figures.models import ArtisanProfile
from tests import factories
from tests.unit.figures import dataset

URL = "/api/v1/programme/figures"
ADMIN_URL = "/api/v1/admin/programme/figures"
BIRTH_YEAR = 1999


@pytest.fixture
def two_kelurahan(db_session):
    """Six artisans in Jombang, five in Serua and four in Rengas (all born in 1999), all listing in January 2026."""
    shops = {}
    for kelurahan, count in (("Jombang", 6), ("Serua", 5), ("Rengas", 4)):
        for _ in range(count):
            owner = factories.user(db_session, "artisan", name=f"Perajin Rahasia {kelurahan}")
            shop = factories.shop(db_session, owner, city="Tangerang Selatan", kelurahan=kelurahan,
                                  created_at=dataset.utc(2026, 1, 2))
            db_session.add(ArtisanProfile(user_id=owner.id, birth_year=BIRTH_YEAR))
            listing = factories.listing(db_session, owner, status="approved")
            listing.created_at = dataset.utc(2026, 1, 3)
            shops.setdefault(kelurahan, []).append(shop)
    db_session.commit()
    return shops


def test_a_kelurahan_of_four_artisans_shows_no_numbers(api, two_kelurahan):
    body = api.get(f"{URL}?{dataset.QUERY}").get_json()
    kelurahan = {r["kelurahan"]: r for r in body["kelurahan"]}
    assert kelurahan["Jombang"]["suppressed"] is False
    assert (kelurahan["Jombang"]["artisans"], kelurahan["Jombang"]["active_artisans"]) == (6, 6)
    assert kelurahan["Jombang"]["young_active_artisans"] == 6  # born 1999: Gen Z (1997-2012)
    rengas = kelurahan["Rengas"]
    assert rengas["suppressed"] is True
    assert [k for k, v in rengas.items() if isinstance(v, (int, float)) and not isinstance(v, bool)] == []
    assert all(v is None for k, v in rengas["funnel"].items() if k != "suppressed")
    assert body["cities"][0]["artisans"] == 15
    # The city less the kelurahan shown must not give Rengas's 4 away: Serua (the smallest) is hidden too.
    assert kelurahan["Serua"]["suppressed"] is True and kelurahan["Serua"]["artisans"] is None
    admin = api.get(f"{ADMIN_URL}?{dataset.QUERY}", as_=api.make_user("admin")).get_json()
    assert {r["kelurahan"]: r["artisans"] for r in admin["kelurahan"]} == {"Jombang": 6, "Serua": 5, "Rengas": 4}


def test_no_email_name_or_birth_year_in_the_public_output(api, client, two_kelurahan):
    responses = [api.get(f"{URL}?{dataset.QUERY}"), api.get(f"{URL}?{dataset.QUERY}&format=csv"),
                 client.get(f"/program?{dataset.QUERY}"), client.get(f"/en/program?{dataset.QUERY}")]
    assert [r.status_code for r in responses] == [200] * 4
    answers = [r.get_data(as_text=True) for r in responses]
    assert "Jombang" in answers[2] and "Rengas" in answers[2]
    owners = [s.owner for shops in two_kelurahan.values() for s in shops]
    for text in answers:
        assert not any(o.email in text or o.name in text for o in owners)
        assert str(BIRTH_YEAR) not in text and "birth" not in text.lower()


def test_the_csv_has_every_row_and_the_json_figures(api, two_kelurahan):
    body = api.get(f"{URL}?{dataset.QUERY}").get_json()
    answer = api.get(f"{URL}?{dataset.QUERY}&format=csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(answer.get_data(as_text=True))))
    assert len(rows) == 1 + len(body["cities"]) + len(body["kelurahan"]) + len(body["sentra"])
    jombang = next(r for r in rows if r["kelurahan"] == "Jombang")
    assert (jombang["artisans"], jombang["suppressed"]) == ("6", "False")
    rengas = next(r for r in rows if r["kelurahan"] == "Rengas")
    assert rengas["artisans"] == "" and rengas["gmv_idr"] == ""


@pytest.mark.parametrize("query, field", [
    ("city=Jakarta", "city"), ("from=2026-02-01&to=2026-01-01", "to"), ("format=xml", "format"),
    ("from=1%20Jan", "from"),
])
def test_bad_queries_are_422_naming_the_field(api, query, field):
    answer = api.get(f"{URL}?{query}")
    assert answer.status_code == 422
    assert field in answer.get_json()["error"]["fields"]


def test_only_admins_see_every_number(api):
    assert api.get(ADMIN_URL).status_code == 401
    for role in ("buyer", "artisan"):
        assert api.get(ADMIN_URL, as_=api.make_user(role)).status_code == 403
    assert api.get(URL).status_code == 200


@pytest.mark.parametrize("year", [1939, 3000, "1990", True, 1990.5])
def test_a_birth_year_outside_1940_to_this_year_is_422_and_nothing_is_written(api, db_session, year):
    artisan = api.make_user("artisan")
    answer = api.patch("/api/v1/me", as_=artisan, json={"birth_year": year})
    assert answer.status_code == 422
    assert "birth_year" in answer.get_json()["error"]["fields"]
    assert db_session.scalars(select(ArtisanProfile)).all() == []


def test_an_artisan_sets_and_removes_a_birth_year_and_crafts(api, db_session):
    artisan = api.make_user("artisan")
    answer = api.patch("/api/v1/me", as_=artisan, json={"birth_year": 2001, "crafts": ["tenun", "batik", "batik"]})
    assert answer.status_code == 200
    assert "2001" not in answer.get_data(as_text=True)  # not even echoed back
    export = api.get("/api/v1/me/export", as_=artisan).get_json()
    assert export["programme_profile"] == {"birth_year": 2001, "crafts": ["batik", "tenun"]}
    assert api.patch("/api/v1/me", as_=artisan, json={"crafts": ["kapal"]}).status_code == 422
    assert api.patch("/api/v1/me", as_=artisan, json={"birth_year": None}).status_code == 200
    assert api.get("/api/v1/me/export", as_=artisan).get_json()["programme_profile"]["birth_year"] is None
