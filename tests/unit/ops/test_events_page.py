"""/admin/events and its API: admins only; the outbox part works without any broker configured."""

from __future__ import annotations

from events.outbox import record


def _approved(listing_id: int) -> dict:
    return {
        "listing_id": listing_id, "shop_id": 1, "title": "Anyaman pandan", "price_idr": 75_000, "category": "anyaman",
        "city": "Bekasi", "kelurahan": "Jatiasih", "path": f"/listings/{listing_id}",
    }


def test_page_is_for_admins_only(client, auth, api):
    assert client.get("/admin/events").status_code == 302  # to the login page
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    assert client.get("/admin/events").status_code == 403


def test_api_is_for_admins_only(api):
    assert api.get("/api/v1/admin/events/status").status_code == 401
    artisan = api.make_user("artisan")
    resp = api.get("/api/v1/admin/events/status", as_=artisan)
    assert resp.status_code == 403 and resp.get_json()["error"]["code"] == "forbidden"


def test_page_shows_backlog_and_that_the_broker_is_unreachable(client, auth, api, db_session):
    record(db_session, "listing.approved", 5, _approved(5))
    record(db_session, "listing.approved", 6, _approved(6))
    db_session.commit()
    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    resp = client.get("/admin/events")
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "Alur peristiwa" in html and "2 peristiwa menunggu diterbitkan" in html
    assert 'id="broker-unreachable"' in html and "KAFKA_BOOTSTRAP_SERVERS is not set" in html


def test_api_reports_backlog_without_a_broker(api, db_session):
    record(db_session, "listing.sold_out", 5, {"listing_id": 5, "shop_id": 1})
    db_session.commit()
    admin = api.make_user("admin")
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    assert body["outbox"]["unsent"] == 1 and body["outbox"]["failing"] == 0
    assert body["outbox"]["oldest_unsent_age_seconds"] >= 0
    assert body["broker"] == {"reachable": False, "error": "KAFKA_BOOTSTRAP_SERVERS is not set", "groups": [], "dlq": []}


def test_page_shows_events_a_consumer_has_not_received(client, auth, api, db_session):
    """Undelivered per consumer comes from the outbox and the inboxes: no broker needed to see the gap."""
    from datetime import timedelta

    from marketplace.db import utcnow

    row = record(db_session, "listing.approved", 7, _approved(7))
    row.sent_at = utcnow() - timedelta(minutes=10)  # published long ago, never processed by promotion
    db_session.commit()
    admin = api.make_user("admin")
    body = api.get("/api/v1/admin/events/status", as_=admin).get_json()
    promotion = next(u for u in body["undelivered"] if u["consumer"] == "promotion")
    assert promotion["undelivered"] == 1 and promotion["topics"] == ["listings"]
    auth.login(admin.email, admin.password)
    html = client.get("/admin/events").get_data(as_text=True)
    assert 'id="undelivered"' in html and "Peristiwa yang belum sampai" in html
    assert "marketplace events replay --undelivered" in html
