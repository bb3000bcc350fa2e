"""The /program page (both languages, suppressed numbers) and the artisan's programme profile page."""

from __future__ import annotations

from sqlalchemy import select

from marketplace.figures.models import ArtisanCraft, ArtisanProfile
from tests.unit.figures import dataset


def _token(client, path: str) -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def test_the_program_page_shows_figures_and_the_kelurahan_grids(client, db_session):
    dataset.seed(db_session)
    db_session.commit()
    page = client.get(f"/program?{dataset.QUERY}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Angka program" in html and "Corong pelatihan" in html
    assert html.count('class="chart kelurahan-grid"') == 2 and "<script" not in html.split("</header>")[-1]
    assert "330.000" not in html  # every group here has fewer than 5 artisans: no GMV shown
    english = client.get(f"/en/program?{dataset.QUERY}").get_data(as_text=True)
    assert "Programme figures" in english and "Training funnel" in english
    assert client.get("/program?city=Jakarta").status_code == 422


def test_an_artisan_saves_a_birth_year_and_crafts_and_a_bad_year_is_refused(client, auth, api, db_session):
    artisan = api.make_user("artisan")
    auth.login(artisan.email, artisan.password)
    assert "Profil program" in client.get("/account").get_data(as_text=True)
    bad = client.post("/account/programme", data={"csrf_token": _token(client, "/account/programme"),
                                                   "birth_year": "1900", "crafts": ["batik"]})
    assert bad.status_code == 422 and "1940" in bad.get_data(as_text=True)
    assert db_session.scalars(select(ArtisanProfile)).all() == []
    db_session.rollback()
    good = client.post("/account/programme", data={"csrf_token": _token(client, "/account/programme"),
                                                    "birth_year": "2001", "crafts": ["batik", "tenun"]})
    assert good.status_code == 302
    db_session.rollback()  # a fresh snapshot
    assert db_session.scalars(select(ArtisanProfile.birth_year)).all() == [2001]
    assert sorted(db_session.scalars(select(ArtisanCraft.category))) == ["batik", "tenun"]
    assert 'value="2001"' in client.get("/account/programme").get_data(as_text=True)


def test_the_admins_impact_dashboard_shows_every_programme_number(client, auth, api, db_session):
    dataset.seed(db_session)
    db_session.commit()
    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    page = client.get(f"/admin/impact?{dataset.QUERY}")
    assert page.status_code == 200
    section = page.get_data(as_text=True).split('id="programme-figures"')[1]
    assert "Corong pelatihan" in section and 'class="chart funnel-chart"' in section
    assert "330.000" in section and "kurang dari 5 perajin" not in section  # nothing suppressed for admins
