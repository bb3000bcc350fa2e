"""The programme event pages as people use them: a buyer registers on the event page and finds the QR
on "Acara saya"; the admin creates an event with the WIB form, then checks the code in on the phone
page; the sentra and kelurahan pages list the upcoming events; the sitemap and JSON-LD name them.
In Indonesian by default, well-formed, every id once."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta

from marketplace.db import utcnow
from marketplace.formatting import TIMEZONE
from tests.unit.programme.helpers import create_event
from tests.unit.vouchers.test_pages import _form, _wib, well_formed


def _token(client, path: str) -> str:
    return client.get(path).get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]


def test_a_buyer_registers_on_the_event_page_and_sees_the_qr_on_my_events(api, client, auth, market):
    event = create_event(api, market.admin, capacity=1)
    page = well_formed(client.get(f"/events/{event['id']}").get_data(as_text=True))
    assert "Membatik dengan canting" in page and "Sisa 1 kursi" in page and "Masuk untuk mendaftar" in page
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', page)
    data = [json.loads(b) for b in blocks]
    [ld] = [d for d in data if d.get("@type") == "Event"]
    assert ld["startDate"] == datetime.fromisoformat(event["starts_at"]).astimezone(TIMEZONE).isoformat()
    assert ld["startDate"].endswith("+07:00") and ld["location"]["name"] == "Balai Warga Cipayung"
    assert ld["eventStatus"] == "https://schema.org/EventScheduled" and ld["offers"]["price"] == 0

    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    resp = client.post(f"/events/{event['id']}/register", data={"csrf_token": _token(client, f"/events/{event['id']}")})
    assert resp.status_code == 302
    page = well_formed(client.get(f"/events/{event['id']}").get_data(as_text=True))
    assert "Anda terdaftar." in page and "Sisa 0 kursi" in page and "Batalkan pendaftaran saya" in page
    mine = well_formed(client.get("/account/events").get_data(as_text=True))
    code = api.get("/api/v1/me/registrations", as_=buyer).json["items"][0]["code"]
    assert "Acara saya" in mine and code in mine and 'src="data:image/svg+xml' in mine

    other = api.make_user("buyer")
    auth.logout()
    auth.login(other.email, other.password)
    client.post(f"/events/{event['id']}/register", data={"csrf_token": _token(client, f"/events/{event['id']}")})
    page = client.get(f"/events/{event['id']}").get_data(as_text=True)
    assert "Dalam daftar tunggu" in page and "urutan ke-1" in page
    again = client.post(f"/events/{event['id']}/register", data={"csrf_token": _token(client, f"/events/{event['id']}")})
    assert "Anda sudah terdaftar di acara ini." in client.get(again.headers["Location"]).get_data(as_text=True)


def test_an_admin_creates_an_event_in_wib_and_checks_a_code_in_on_the_phone_page(api, client, auth, market):
    auth.login(market.admin.email, market.admin.password)
    assert "Acara program" in well_formed(client.get("/admin/programme").get_data(as_text=True))
    fields = dict(kind="training", title="Pelatihan foto produk", venue="Aula Kecamatan Pamulang", city="Tangerang Selatan",
                  capacity="20", starts_at=_wib(timedelta(days=2)), ends_at=_wib(timedelta(days=2, hours=2)),
                  registration_opens_at=_wib(-timedelta(hours=1)), registration_closes_at=_wib(timedelta(days=1)))
    bad = _form(client, "/admin/programme", **{**fields, "ends_at": _wib(timedelta(days=1))})
    assert bad.status_code == 422
    html = well_formed(bad.get_data(as_text=True))
    assert "Akhir harus setelah awal." in html
    made = _form(client, "/admin/programme", **fields)
    assert made.status_code == 302
    [event] = api.get("/api/v1/events").json["items"]
    assert event["registration_opens_at"] < utcnow().isoformat() < event["registration_closes_at"]  # WIB read right
    edit = well_formed(client.get(f"/admin/programme/{event['id']}").get_data(as_text=True))
    assert "Pelatihan foto produk" in edit and "Belum ada yang mendaftar." in edit

    buyer = api.make_user("buyer")
    code = api.post(f"/api/v1/events/{event['id']}/registrations", as_=buyer).json["code"]
    path = f"/admin/programme/{event['id']}/check-in"
    assert "Check-in" in well_formed(client.get(path).get_data(as_text=True))
    unknown = _form(client, path, code="ZZZZ2222")
    assert unknown.status_code == 404 and "Tidak ada pendaftaran acara ini dengan kode tersebut." in unknown.get_data(as_text=True)
    done = _form(client, path, code=code.lower())
    assert done.status_code == 200 and "sudah check-in" in well_formed(done.get_data(as_text=True))
    used = _form(client, path, code=code)
    assert used.status_code == 409 and "Kode ini sudah dipakai untuk check-in." in used.get_data(as_text=True)

    edited = _form(client, f"/admin/programme/{event['id']}", **{**fields, "title": "Pelatihan foto produk lanjutan"})
    assert edited.status_code == 302
    after = api.get(f"/api/v1/events/{event['id']}").json
    assert after["title"] == "Pelatihan foto produk lanjutan" and after["starts_at"] == event["starts_at"]
    token = _token(client, f"/admin/programme/{event['id']}")
    client.post(f"/admin/programme/{event['id']}/cancel", data={"csrf_token": token, "reason": "Gedung dipakai"})
    assert api.get(f"/api/v1/events/{event['id']}").json["status"] == "cancelled"


def test_sentra_and_kelurahan_pages_list_upcoming_events_and_the_sitemap_names_them(api, client, market, db_session):
    from marketplace.sentra.models import Sentra

    sentra = Sentra(name="Sentra Batik Cipayung", slug="sentra-batik-cipayung", city="Tangerang Selatan",
                    kelurahan="Cipayung", focus="batik", story="")
    db_session.add(sentra)
    db_session.commit()
    event = create_event(api, market.admin, sentra_id=sentra.id, city=None)
    city_event = create_event(api, market.admin, title="Pasar kreatif kota", kind="market", city="Tangerang Selatan")
    assert event["city"] == "Tangerang Selatan"
    page = well_formed(client.get("/sentra/sentra-batik-cipayung").get_data(as_text=True))
    assert "Acara mendatang" in page and "Membatik dengan canting" in page and "Pasar kreatif kota" not in page
    page = well_formed(client.get("/places/Tangerang Selatan/Cipayung").get_data(as_text=True))
    assert "Membatik dengan canting" in page and "Pasar kreatif kota" in page
    listing = well_formed(client.get(f"/events?sentra={sentra.id}").get_data(as_text=True))
    assert "Membatik dengan canting" in listing and "Pasar kreatif kota" not in listing
    sitemap = client.get("/sitemaps/events-1.xml").get_data(as_text=True)
    assert f"/events/{event['id']}</loc>" in sitemap and f"/events/{city_event['id']}</loc>" in sitemap
    assert "/sitemaps/events-1.xml" in client.get("/sitemap.xml").get_data(as_text=True)
