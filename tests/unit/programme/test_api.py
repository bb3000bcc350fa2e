"""The programme events API as admins, artisans and buyers use it (ARCHITECTURE.md §5 Programme events)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.programme.models import Registration
from tests.unit.programme.helpers import create_event, event_body


def _types(db_session, key: int) -> list[str]:
    return list(db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.topic == "programme",
                                                                  OutboxEvent.key == str(key)).order_by(OutboxEvent.id)))


def test_an_admin_creates_an_event_and_the_public_sees_it_with_its_seats(api, market, db_session):
    event = create_event(api, market.admin, starts_at="2030-03-14T09:00:00", ends_at="2030-03-14T12:00:00",
                         registration_closes_at="2030-03-13T17:00:00")
    # a time without an offset is WIB: 09:00 WIB is 02:00 UTC
    assert event["starts_at"].startswith("2030-03-14T02:00:00")
    assert (event["seats_left"], event["status"], event["city"], event["waitlisted"]) == (5, "scheduled",
                                                                                           "Tangerang Selatan", 0)
    listed = api.get("/api/v1/events?city=tangerang%20selatan").json["items"]
    assert [e["id"] for e in listed] == [event["id"]]
    assert api.get("/api/v1/events?city=Bekasi").json["items"] == []
    assert api.get(f"/api/v1/events/{event['id']}").json["title"] == "Membatik dengan canting"
    assert api.get("/api/v1/events/999999").status_code == 404
    assert _types(db_session, event["id"]) == ["programme_event.published"]


def test_bad_event_input_is_422_naming_the_field_and_nothing_is_written(api, market):
    admin = market.admin
    cases = (
        ({"ends_at": event_body()["starts_at"]}, "ends_at"),
        ({"registration_closes_at": "2099-01-01T00:00:00+07:00"}, "registration_closes_at"),
        ({"registration_opens_at": "2099-01-01T00:00:00+07:00"}, "registration_closes_at"),
        ({"capacity": 0}, "capacity"),
        ({"capacity": "5"}, "capacity"),
        ({"kind": "konser"}, "kind"),
        ({"city": "Jakarta"}, "city"),
        ({"city": None}, "city"),
        ({"sentra_id": 999_999}, "sentra_id"),
        ({"starts_at": "besok pagi"}, "starts_at"),
        ({"title": ""}, "title"),
    )
    for override, field in cases:
        resp = api.post("/api/v1/admin/events", as_=admin, json=event_body(**override))
        assert resp.status_code == 422 and field in resp.json["error"]["fields"], (override, resp.json)
    assert api.get("/api/v1/events").json["items"] == []


def test_registration_fills_the_seats_then_the_waiting_list_is_promoted_in_order(api, market, db_session):
    event = create_event(api, market.admin, capacity=2)
    people = [api.make_user("buyer") for _ in range(2)] + [market.seller(), api.make_user("buyer")]
    answers = [api.post(f"/api/v1/events/{event['id']}/registrations", as_=p) for p in people]
    assert [a.status_code for a in answers] == [201] * 4
    assert [a.json["status"] for a in answers] == ["registered", "registered", "waitlisted", "waitlisted"]
    assert [a.json["waitlist_position"] for a in answers] == [None, None, 1, 2]
    codes = {a.json["code"] for a in answers}
    assert len(codes) == 4 and all(len(c) == 8 for c in codes)

    again = api.post(f"/api/v1/events/{event['id']}/registrations", as_=people[0])
    assert (again.status_code, again.json["error"]["code"]) == (409, "already_registered")
    assert api.get(f"/api/v1/events/{event['id']}").json["seats_left"] == 0

    left = api.delete(f"/api/v1/events/{event['id']}/registrations/me", as_=people[1])
    assert (left.status_code, left.json["status"]) == (200, "cancelled")
    mine = api.get("/api/v1/me/registrations", as_=people[2]).json["items"]
    assert [(m["status"], m["event"]["id"]) for m in mine] == [("registered", event["id"])]  # first in line
    assert api.get("/api/v1/me/registrations", as_=people[3]).json["items"][0]["waitlist_position"] == 1
    assert api.get("/api/v1/me/registrations", as_=people[1]).json["items"] == []
    assert api.delete(f"/api/v1/events/{event['id']}/registrations/me", as_=people[1]).status_code == 404

    # more seats promote the rest of the line; fewer than those taken is refused
    assert api.patch(f"/api/v1/admin/events/{event['id']}", as_=market.admin, json={"capacity": 1}).status_code == 422
    grown = api.patch(f"/api/v1/admin/events/{event['id']}", as_=market.admin, json={"capacity": 3})
    assert (grown.status_code, grown.json["seats_left"], grown.json["waitlisted"]) == (200, 0, 0)
    assert _types(db_session, event["id"]).count("registration.promoted") == 2


def test_registering_outside_the_window_or_for_a_cancelled_event_is_refused(api, market):
    later = create_event(api, market.admin, opens_ago=timedelta(days=-1))  # opens tomorrow
    buyer = api.make_user("buyer")
    closed = api.post(f"/api/v1/events/{later['id']}/registrations", as_=buyer)
    assert (closed.status_code, closed.json["error"]["code"]) == (422, "registration_closed")
    event = create_event(api, market.admin)
    cancelled = api.post(f"/api/v1/admin/events/{event['id']}/cancel", as_=market.admin, json={"reason": "Banjir"})
    assert (cancelled.status_code, cancelled.json["status"]) == (200, "cancelled")
    refused = api.post(f"/api/v1/events/{event['id']}/registrations", as_=buyer)
    assert (refused.status_code, refused.json["error"]["code"]) == (409, "event_cancelled")
    assert api.post(f"/api/v1/admin/events/{event['id']}/cancel", as_=market.admin,
                    json={"reason": "lagi"}).status_code == 409
    assert api.patch(f"/api/v1/admin/events/{event['id']}", as_=market.admin, json={"capacity": 9}).status_code == 409
    assert api.post("/api/v1/events/999999/registrations", as_=buyer).status_code == 404
    assert [e["id"] for e in api.get("/api/v1/events").json["items"]] == [later["id"]]  # cancelled ones not listed


def test_check_in_by_code_unknown_404_used_409_waitlisted_409(api, market, db_session):
    event = create_event(api, market.admin, capacity=1)
    seated, waiting = api.make_user("buyer"), api.make_user("buyer")
    code = api.post(f"/api/v1/events/{event['id']}/registrations", as_=seated).json["code"]
    waiting_code = api.post(f"/api/v1/events/{event['id']}/registrations", as_=waiting).json["code"]
    url = f"/api/v1/admin/events/{event['id']}/check-in"
    assert api.post(url, as_=market.admin, json={"code": "ZZZZ9999"}).status_code == 404
    other = create_event(api, market.admin)
    assert api.post(f"/api/v1/admin/events/{other['id']}/check-in", as_=market.admin,
                    json={"code": code}).status_code == 404  # another event's code
    done = api.post(url, as_=market.admin, json={"code": f" {code.lower()[:4]}-{code.lower()[4:]} "})
    assert (done.status_code, done.json["status"]) == (200, "attended") and done.json["name"].startswith("Buyer ")
    used = api.post(url, as_=market.admin, json={"code": code})
    assert (used.status_code, used.json["error"]["code"]) == (409, "already_checked_in")
    not_seated = api.post(url, as_=market.admin, json={"code": waiting_code})
    assert (not_seated.status_code, not_seated.json["error"]["code"]) == (409, "not_registered")
    assert api.post(url, as_=market.admin, json={"code": "<script>"}).status_code == 422
    status = db_session.scalar(select(Registration.status).where(Registration.code == code))
    assert status == "attended"
    assert api.get("/api/v1/me/registrations", as_=seated).json["items"][0]["status"] == "attended"


def test_festival_shops_added_by_admins_or_applied_for_and_their_products_listed(api, market):
    festival = create_event(api, market.admin, kind="festival", capacity=500)
    sari, budi = market.seller(), market.seller(kelurahan="Pamulang Barat")
    listing = market.approved_listing(sari)
    applied = api.post(f"/api/v1/events/{festival['id']}/shop-applications", as_=budi, json={"note": "Tenun"})
    assert (applied.status_code, applied.json["status"]) == (201, "applied")
    assert api.post(f"/api/v1/events/{festival['id']}/shop-applications", as_=budi, json={}).status_code == 409
    assert api.get(f"/api/v1/events/{festival['id']}").json["shops"] == []  # not accepted yet
    added = api.post(f"/api/v1/admin/events/{festival['id']}/shops", as_=market.admin, json={"shop_id": sari.shop_id})
    assert added.status_code == 200
    assert api.post(f"/api/v1/admin/events/{festival['id']}/shops", as_=market.admin,
                    json={"shop_id": budi.shop_id}).status_code == 200
    shops = api.get(f"/api/v1/events/{festival['id']}").json["shops"]
    assert sorted(s["id"] for s in shops) == sorted([sari.shop_id, budi.shop_id])
    assert {s["status"] for s in shops} == {"accepted"}
    assert api.post(f"/api/v1/admin/events/{festival['id']}/shops", as_=market.admin,
                    json={"shop_id": 999_999}).status_code == 404
    workshop = create_event(api, market.admin)
    refused = api.post(f"/api/v1/admin/events/{workshop['id']}/shops", as_=market.admin, json={"shop_id": sari.shop_id})
    assert (refused.status_code, refused.json["error"]["code"]) == (422, "not_a_shop_event")
    page = api.client.get(f"/events/{festival['id']}")
    assert page.status_code == 200 and listing["title"] in page.get_data(as_text=True)


def test_admins_event_actions_are_in_the_audit_log(api, market, client, auth):
    admin = market.admin
    event = create_event(api, admin)
    assert api.patch(f"/api/v1/admin/events/{event['id']}", as_=admin, json={"venue": "Gedung Juang"}).status_code == 200
    assert api.post(f"/api/v1/admin/events/{event['id']}/cancel", as_=admin, json={"reason": "Hujan"}).status_code == 200
    log = api.get("/api/v1/admin/audit-log", as_=admin, query_string={"target_type": "programme_event"}).json
    assert [(e["action"], e["target_id"]) for e in reversed(log["items"])] == [
        ("programme_event.create", event["id"]), ("programme_event.update", event["id"]),
        ("programme_event.cancel", event["id"])]
    update = log["items"][1]
    assert (update["before"], update["after"]) == ({"venue": "Balai Warga Cipayung"}, {"venue": "Gedung Juang"})
    auth.login(admin.email, admin.password)
    page = client.get("/admin/audit-log?action=programme_event.cancel").get_data(as_text=True)
    assert "Acara program dibatalkan" in page and "programme_event.cancel</td>" not in page
