"""Moderation pages: queue with photos, approve/reject through forms with CSRF, history, access."""

from __future__ import annotations

from collections import Counter
from datetime import datetime, timezone
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select

from marketplace.listings.models import Listing
from marketplace.moderation.models import ModerationDecision


@pytest.fixture
def admin(market, auth):
    assert auth.login(market.admin.email, market.admin.password).status_code == 302
    return market.admin


def status_of(db, listing_id: int) -> Listing:
    db.rollback()
    return db.get(Listing, listing_id)


def decision_count(db) -> int:
    db.rollback()
    return db.scalar(select(func.count()).select_from(ModerationDecision))


def test_queue_page_shows_pending_with_photos(client, admin, market):
    seller = market.seller()
    listing = market.listing(seller, title="Tenun Baduy")
    photo = market.add_image(seller, listing["id"]).json
    market.approved_listing(seller, title="Sudah tayang")
    resp = client.get("/admin/moderation")
    html = resp.get_data(as_text=True)
    assert resp.status_code == 200 and "Tenun Baduy" in html and "Sudah tayang" not in html
    assert photo["thumb_url"] in html and "Setujui" in html and "Tolak" in html


def test_approve_through_form(client, auth, admin, market, db_session):
    listing = market.listing(market.seller())
    form = {"csrf_token": auth.csrf_token("/admin/moderation"), "revision": listing["revision"]}
    resp = client.post(f"/admin/moderation/{listing['id']}/approve", data=form)
    assert resp.status_code == 302 and resp.headers["Location"] == "/admin/moderation"
    assert status_of(db_session, listing["id"]).status == "approved"
    assert "Produk disetujui dan kini tampil untuk umum." in client.get("/admin/moderation").get_data(as_text=True)
    assert [e["type"] for e in market.events(key=listing["id"])][-1] == "listing.approved"
    again = client.post(f"/admin/moderation/{listing['id']}/approve",
                        data={**form, "csrf_token": auth.csrf_token("/admin/moderation")})
    assert again.status_code == 409
    assert "Hanya produk yang menunggu tinjauan yang dapat diputuskan." in again.get_data(as_text=True)
    assert decision_count(db_session) == 1


def test_reject_through_form(client, auth, admin, market, db_session):
    listing = market.listing(market.seller())
    token = auth.csrf_token("/admin/moderation")
    resp = client.post(f"/admin/moderation/{listing['id']}/reject",
                       data={"csrf_token": token, "revision": listing["revision"], "reason": "Foto buram"})
    assert resp.status_code == 302
    row = status_of(db_session, listing["id"])
    assert row.status == "rejected" and row.rejection_reason == "Foto buram"
    assert market.events("listing.rejected")[0]["data"]["reason"] == "Foto buram"


@pytest.mark.parametrize("reason", ["", "ab", "   a  ", "x" * 1001])
def test_reject_form_error_is_shown_with_4xx(client, auth, admin, market, db_session, reason):
    listing = market.listing(market.seller())
    resp = client.post(f"/admin/moderation/{listing['id']}/reject",
                       data={"csrf_token": auth.csrf_token("/admin/moderation"), "revision": 1, "reason": reason})
    assert resp.status_code in (400, 422)
    html = resp.get_data(as_text=True)
    assert 'class="field-error"' in html and f'id="listing-{listing["id"]}"' in html
    assert status_of(db_session, listing["id"]).status == "pending_review" and decision_count(db_session) == 0


def test_forms_without_csrf_change_nothing(client, admin, market, db_session):
    listing = market.listing(market.seller())
    assert client.post(f"/admin/moderation/{listing['id']}/approve").status_code == 400
    assert client.post(f"/admin/moderation/{listing['id']}/reject", data={"reason": "Tidak pantas"}).status_code == 400
    assert status_of(db_session, listing["id"]).status == "pending_review" and decision_count(db_session) == 0


def test_history_page(client, auth, admin, market, api):
    seller = market.seller()
    listing = market.listing(seller)
    token = auth.csrf_token("/admin/moderation")
    client.post(f"/admin/moderation/{listing['id']}/reject",
                data={"csrf_token": token, "revision": 1, "reason": "Kategori salah"})
    api.patch(f"/api/v1/listings/{listing['id']}", as_=seller, json={"category": "tenun"})  # revision 2
    assert client.post(f"/admin/moderation/{listing['id']}/approve",
                       data={"csrf_token": token, "revision": 2}).status_code == 302
    html = client.get(f"/en/admin/moderation/listings/{listing['id']}").get_data(as_text=True)
    assert "Kategori salah" in html and html.count("status-rejected") == 1 and html.count("status-approved") == 2
    rows = [" ".join(r.split()) for r in html.split("<tr>")[2:]]
    assert "<td>Kategori salah</td> <td>1</td> </tr>" in rows[0] and "<td></td> <td>2</td> </tr>" in rows[1]
    assert client.get("/admin/moderation/listings/999999").status_code == 404


def test_moderation_pages_access(client, auth, api, market):
    listing = market.listing(market.seller())
    paths = ["/admin/moderation", f"/admin/moderation/listings/{listing['id']}"]
    for path in paths:
        resp = client.get(path)
        assert resp.status_code == 302 and resp.headers["Location"].startswith("/login")
    for role in ("buyer", "artisan"):
        user = api.make_user(role)
        auth.login(user.email, user.password)
        for path in paths:
            assert client.get(path).status_code == 403, (role, path)
        token = auth.csrf_token("/login")
        assert client.post(f"/admin/moderation/{listing['id']}/approve", data={"csrf_token": token}).status_code == 403
        auth.logout()


class _IdsAndLabels(HTMLParser):
    """Every element id on a page, every label's ``for``, and the textareas' ids."""

    def __init__(self) -> None:
        super().__init__()
        self.ids: list[str] = []
        self.label_fors: list[str] = []
        self.textarea_ids: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attr = dict(attrs)
        if attr.get("id"):
            self.ids.append(attr["id"])
        if tag == "label" and "for" in attr:
            self.label_fors.append(attr["for"] or "")
        if tag == "textarea":
            self.textarea_ids.append(attr.get("id") or "")


def test_queue_ids_are_unique_and_every_label_points_at_its_own_field(client, auth, admin, market):
    seller = market.seller()
    first, second = market.listing(seller, title="Tas Pandan"), market.listing(seller, title="Tikar Mendong")
    for page in (client.get("/admin/moderation").get_data(as_text=True),
                 # The page shown again after a failed reject keeps the ids unique too.
                 client.post(f"/admin/moderation/{second['id']}/reject",
                             data={"csrf_token": auth.csrf_token("/admin/moderation"), "revision": 1,
                                   "reason": ""}).get_data(as_text=True)):
        parsed = _IdsAndLabels()
        parsed.feed(page)
        duplicates = [i for i, n in Counter(parsed.ids).items() if n > 1]
        assert duplicates == []
        assert parsed.label_fors and all(f in parsed.ids for f in parsed.label_fors), parsed.label_fors
        # one reason per listing, and the bulk form's own
        assert sorted(parsed.textarea_ids) == sorted([f"reason-{first['id']}", f"reason-{second['id']}", "bulk-reason"])
        assert sorted(parsed.textarea_ids) == sorted(f for f in parsed.label_fors if "reason" in f)


def test_queue_shows_the_translated_category_and_approve_as_the_main_action(client, admin, market):
    market.listing(market.seller(), category="anyaman")
    page = client.get("/admin/moderation").get_data(as_text=True)
    assert "· Anyaman ·" in " ".join(page.split()) and "· anyaman ·" not in " ".join(page.split())
    # Approve is the filled (primary) button, reject the outlined (secondary) one.
    assert '<button type="submit">Setujui</button>' in page
    assert '<button type="submit" class="secondary">Tolak</button>' in page
    assert page.index("Setujui") < page.index("Tolak")


def test_queue_and_history_show_times_in_wib(client, auth, admin, market, db_session):
    listing = market.listing(market.seller())
    db_session.rollback()
    db_session.get(Listing, listing["id"]).submitted_at = datetime(2026, 12, 1, 9, 30, tzinfo=timezone.utc)
    db_session.commit()
    queue = " ".join(client.get("/admin/moderation").get_data(as_text=True).split())
    assert "Dikirim 1 Des 2026 16.30 WIB" in queue and "UTC" not in queue
    client.post(f"/admin/moderation/{listing['id']}/approve",
                data={"csrf_token": auth.csrf_token("/admin/moderation"), "revision": 1})
    db_session.rollback()
    decision = db_session.scalars(select(ModerationDecision).where(ModerationDecision.listing_id == listing["id"])).one()
    decision.decided_at = datetime(2026, 11, 30, 20, 5, tzinfo=timezone.utc)
    db_session.commit()
    history = client.get(f"/en/admin/moderation/listings/{listing['id']}").get_data(as_text=True)
    assert "<th>When</th>" in history and "<td>Dec 1, 2026, 3:05\u202fAM WIB</td>" in history
