"""WhatsApp's 24-hour window (issue #28): a user who wrote to our number within the last 24 hours gets
the message as free-form text; anyone else, or the same user a day later, gets the approved template.
The time comes from the Cloud API webhook's inbound messages; the loopback server refuses a text outside
the window as the API does (131047), and the message then goes as the template."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

from marketplace.db import transaction, utcnow
from marketplace.notifications import delivery, inbound
from marketplace.notifications.models import NotificationPreference
from marketplace.notifications.whatsapp import whatsapp_from_settings
from tests.unit.notifications.conftest import NOW, place_paid_order
from tests.unit.notifications.test_whatsapp_cloud import handle, opt_in, paid, whatsapp_rows
from tests.unit.notifications.test_whatsapp_webhook import body, cloud, post, sent_message, signed  # noqa: F401
from tests.unit.notifications.whatsapp_server import cloud_api, settings_for

BUYER_PHONE, ARTISAN_PHONE = "+6281234567890", "+6285711112222"


def wrote(factory: Any, phone: str, at) -> None:
    with transaction(factory) as session:
        inbound.record_inbound(session, [inbound.Inbound(phone, at)], at)


def inbound_body(sender: str, timestamp: int) -> bytes:
    payload = json.loads(body())
    payload["entry"][0]["changes"][0]["value"]["messages"] = [
        {"from": sender, "id": "wamid.IN1", "timestamp": str(timestamp), "type": "text", "text": {"body": "Halo"}}]
    return json.dumps(payload).encode()




def test_inside_the_window_the_text_goes_free_form_and_outside_it_the_template(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
    opt_in(factory, placed.buyer_id, BUYER_PHONE)
    opt_in(factory, placed.artisan_ids[0], ARTISAN_PHONE)
    wrote(factory, BUYER_PHONE, NOW - timedelta(hours=2))  # the buyer asked something two hours ago
    wrote(factory, ARTISAN_PHONE, NOW - timedelta(hours=25))  # the artisan wrote yesterday: closed
    with cloud_api() as stub:
        stub.state["window_open"] = {BUYER_PHONE}
        settings = settings_for(mail_settings, stub)
        handle(factory, settings, paid(placed))
        delivery.deliver_due(factory, mailer, NOW, whatsapp=whatsapp_from_settings(settings))
    by_phone = {req.json["to"]: req.json for req in stub.requests}
    rows = {r.recipient_id: r for r in whatsapp_rows(factory)}
    assert by_phone[BUYER_PHONE]["type"] == "text"
    assert by_phone[BUYER_PHONE]["text"]["body"] == rows[placed.buyer_id].body_text
    assert f"/orders/{placed.order_id}" in by_phone[BUYER_PHONE]["text"]["body"]
    assert by_phone[ARTISAN_PHONE]["type"] == "template"
    assert by_phone[ARTISAN_PHONE]["template"]["name"] == "pk_seller_order_to_ship"
    assert {r.status for r in rows.values()} == {"sent"}


def test_the_window_is_24_hours_from_the_last_message_of_that_same_number():
    pref = NotificationPreference(user_id=1, whatsapp_inbound_at=NOW, whatsapp_inbound_phone=BUYER_PHONE)
    assert inbound.window_open(pref, BUYER_PHONE, NOW + timedelta(hours=23, minutes=45))
    assert not inbound.window_open(pref, BUYER_PHONE, NOW + timedelta(hours=23, minutes=55))  # too near its end
    assert not inbound.window_open(pref, BUYER_PHONE, NOW + timedelta(hours=24))
    assert not inbound.window_open(pref, "+6289900001111", NOW)  # the user's new number opened none
    assert not inbound.window_open(None, BUYER_PHONE, NOW)


def test_a_text_the_api_says_is_outside_the_window_goes_again_as_the_template(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
    opt_in(factory, placed.buyer_id, BUYER_PHONE)
    wrote(factory, BUYER_PHONE, NOW - timedelta(hours=1))  # our clock says open; the API disagrees
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub)
        sender = whatsapp_from_settings(settings)
        handle(factory, settings, paid(placed))
        delivery.deliver_due(factory, mailer, NOW, whatsapp=sender)
        [row] = [r for r in whatsapp_rows(factory) if r.recipient_id == placed.buyer_id]
        assert row.status == "retrying" and "131047" in row.last_error
        delivery.deliver_due(factory, mailer, NOW + timedelta(minutes=30), whatsapp=sender)
    assert [req.json["type"] for req in stub.requests if req.json["to"] == BUYER_PHONE] == ["text", "template"]
    [row] = [r for r in whatsapp_rows(factory) if r.recipient_id == placed.buyer_id]
    assert row.status == "sent"


def test_the_webhook_records_when_a_user_wrote_and_only_with_a_valid_signature(client, cloud, sent_message):  # noqa: F811
    now = int(utcnow().timestamp())
    raw = inbound_body("6281234567890", now - 60)
    assert post(client, raw, signed(raw, "forged")).status_code == 400
    with cloud.extensions["db"].new_session() as session:
        assert session.get(NotificationPreference, sent_message["user_id"]).whatsapp_inbound_at is None
    resp = post(client, raw, signed(raw))
    assert resp.status_code == 200 and resp.json["windows_opened"] == 1
    with cloud.extensions["db"].new_session() as session:
        pref = session.get(NotificationPreference, sent_message["user_id"])
        assert pref.whatsapp_inbound_phone == "+6281234567890"
        assert inbound.window_open(pref, "+6281234567890", utcnow())
        assert abs(pref.whatsapp_inbound_at.timestamp() - (now - 60)) < 1
    stranger = inbound_body("6289912345678", now)  # not one of our users: nothing to note
    assert post(client, stranger, signed(stranger)).json["windows_opened"] == 0
