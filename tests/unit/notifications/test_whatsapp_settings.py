"""A user's phone number and WhatsApp opt-in (API and settings page), and what admins see of the
WhatsApp sandbox: Indonesian numbers normalised to E.164, anything else a 422 naming ``phone``; no
WhatsApp without an opt-in and a number; one tap to stop; the sandbox's files listed at /admin/whatsapp."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from marketplace.accounts.phone import PHONE_MESSAGE, normalise_phone
from marketplace.db import utcnow
from marketplace.notifications import delivery, services
from marketplace.notifications.mailer import FileMailer
from marketplace.notifications.models import Notification
from marketplace.notifications.whatsapp import SandboxWhatsApp
from marketplace.web import deps


@pytest.mark.parametrize("typed", ["081234567890", "0812-3456-7890", "6281234567890", "+62 812 3456 7890",
                                   "(0812) 3456.7890", "+62 0812 3456 7890"])
def test_indonesian_mobile_numbers_are_stored_in_e164(typed):
    assert normalise_phone(typed) == "+6281234567890"


@pytest.mark.parametrize("typed", ["+44 20 7946 0958", "+1 415 555 0100", "0215551234", "0812", "08123456789012345",
                                   "0812abc4567", "+62", "phone please"])
def test_foreign_landline_and_malformed_numbers_are_refused(typed):
    with pytest.raises(ValueError, match="Indonesian mobile number"):
        normalise_phone(typed)


def test_a_user_sets_and_removes_their_phone_number_over_the_api(api):
    buyer = api.make_user("buyer")
    resp = api.patch("/api/v1/me", as_=buyer, json={"phone": "0812-3456-7890"})
    assert resp.status_code == 200 and resp.json["phone"] == "+6281234567890"
    assert api.get("/api/v1/me", as_=buyer).json["phone"] == "+6281234567890"

    for bad in ("+44 20 7946 0958", "12345", 812345678):
        refused = api.patch("/api/v1/me", as_=buyer, json={"phone": bad})
        assert refused.status_code == 422, bad
        assert refused.json["error"]["code"] == "validation_error" and set(refused.json["error"]["fields"]) == {"phone"}
    assert api.patch("/api/v1/me", as_=buyer, json={"phone": "+44 20 7946 0958"}).json["error"]["fields"]["phone"] \
        == [PHONE_MESSAGE]
    assert api.patch("/api/v1/me", as_=buyer, json={}).status_code == 422  # nothing to change
    assert api.patch("/api/v1/me", as_=buyer, json={"email": "x@y.id"}).status_code == 422  # not changeable here
    assert api.get("/api/v1/me", as_=buyer).json["phone"] == "+6281234567890"  # the refusals changed nothing

    assert api.patch("/api/v1/me", as_=buyer, json={"phone": None}).json["phone"] is None


def test_whatsapp_needs_a_phone_number_and_an_opt_in(api):
    buyer = api.make_user("buyer")
    path = "/api/v1/me/notification-preferences"
    refused = api.patch(path, as_=buyer, json={"whatsapp": True})
    assert refused.status_code == 422 and set(refused.json["error"]["fields"]) == {"whatsapp"}
    assert api.get(path, as_=buyer).json["whatsapp"] is False

    api.patch("/api/v1/me", as_=buyer, json={"phone": "081234567890"})
    got = api.patch(path, as_=buyer, json={"whatsapp": True}).json
    assert (got["whatsapp"], got["phone"], got["whatsapp_number_failed"]) == (True, "+6281234567890", False)
    assert api.patch(path, as_=buyer, json={"whatsapp": "maybe"}).status_code == 422
    assert api.patch(path, as_=buyer, json={"whatsapp": False}).json["whatsapp"] is False


def _queue_for(app, settings, user_id: int, kind: str = "order_delivered") -> Notification | None:
    from marketplace.accounts.models import User

    with app.extensions["db"].transaction() as session:
        row = services.queue_whatsapp(session, settings, event_id="e-1", event_type="order.delivered", kind=kind,
                                      recipient=session.get(User, user_id), now=utcnow(),
                                      context={"order": type("O", (), {"id": 42})(), "order_url": "https://p/orders/42"})
        return None if row is None else row.id


def test_nothing_is_queued_for_whatsapp_without_opt_in_and_one_tap_stops_what_is_queued(client, auth, api, app, settings):
    sandbox_settings = settings.with_overrides(whatsapp_provider="sandbox")
    buyer = api.make_user("buyer")
    api.patch("/api/v1/me", as_=buyer, json={"phone": "081234567890"})
    assert _queue_for(app, sandbox_settings, buyer.id) is None  # a number, but no opt-in
    api.patch("/api/v1/me/notification-preferences", as_=buyer, json={"whatsapp": True})
    assert _queue_for(app, settings, buyer.id) is None  # WHATSAPP_PROVIDER=off: nothing at all
    row_id = _queue_for(app, sandbox_settings, buyer.id)
    assert row_id is not None

    auth.login(buyer.email, buyer.password)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert 'value="+6281234567890"' in page and 'name="whatsapp" type="checkbox" value="y"' in page
    resp = client.post("/account/notifications/whatsapp/stop",
                       data={"csrf_token": auth.csrf_token("/account/notifications")})
    assert resp.status_code == 302
    assert api.get("/api/v1/me/notification-preferences", as_=buyer).json["whatsapp"] is False

    sandbox = SandboxWhatsApp(sandbox_settings.whatsapp_directory())
    mailer = FileMailer(settings.mail_directory(), settings.mail_from)
    assert delivery.deliver_due(app.extensions["db"].write_session_factory, mailer, utcnow(), whatsapp=sandbox) == 0
    with app.extensions["db"].new_session() as session:
        row = session.get(Notification, row_id)
        assert (row.status, row.skip_reason) == ("skipped", "opted_out")
    assert not sandbox.directory.exists() or not list(sandbox.directory.iterdir())


def test_the_settings_page_takes_the_number_and_the_opt_in_together_and_names_a_bad_number(client, auth, api):
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    token = auth.csrf_token("/account/notifications")
    bad = client.post("/account/notifications", data={"csrf_token": token, "language": "id", "phone": "+1 415 555 0100",
                                                      "whatsapp": "y"})
    assert bad.status_code == 422
    assert "Masukkan nomor HP Indonesia" in bad.get_data(as_text=True)
    none = client.post("/account/notifications", data={"csrf_token": token, "language": "id", "whatsapp": "y"})
    assert none.status_code == 422 and "Tambahkan nomor HP Anda" in none.get_data(as_text=True)
    ok = client.post("/account/notifications", data={"csrf_token": token, "language": "id",
                                                     "phone": "0812 3456 7890", "whatsapp": "y"})
    assert ok.status_code == 302
    got = api.get("/api/v1/me/notification-preferences", as_=buyer).json
    assert (got["phone"], got["whatsapp"]) == ("+6281234567890", True)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Hentikan pesan WhatsApp" in page


def test_admins_see_the_sandbox_whatsapp_messages_beside_the_mail_without_the_number(client, auth, api, app, settings):
    sandbox_settings = settings.with_overrides(whatsapp_provider="sandbox")
    deps.override(app, settings=sandbox_settings)
    buyer = api.make_user("buyer")
    api.patch("/api/v1/me", as_=buyer, json={"phone": "081234567890"})
    api.patch("/api/v1/me/notification-preferences", as_=buyer, json={"whatsapp": True, "language": "en"})
    row_id = _queue_for(app, sandbox_settings, buyer.id)
    sandbox = SandboxWhatsApp(sandbox_settings.whatsapp_directory())
    mailer = FileMailer(settings.mail_directory(), settings.mail_from)
    assert delivery.deliver_due(app.extensions["db"].write_session_factory, mailer, utcnow(), whatsapp=sandbox) == 1

    with app.extensions["db"].new_session() as session:
        row = session.get(Notification, row_id)
        assert (row.status, row.delivery_status, row.channel) == ("sent", "sent", "whatsapp")
        written = json.loads(sandbox.path_for(row.message_id).read_text(encoding="utf-8"))
    assert (written["to"], written["template"], written["language"]) == ("+6281234567890", "pk_order_delivered", "en")
    assert written["parameters"] == ["42", "https://p/orders/42"]
    assert written["text"] == "Order #42 has been delivered. Thank you for shopping at Pasar Kreatif! https://p/orders/42"

    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    mail_page = client.get("/admin/mail").get_data(as_text=True)
    assert "/admin/whatsapp" in mail_page and "pk_order_delivered" not in mail_page  # mail only there
    page = client.get("/admin/whatsapp")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "Pesan WhatsApp" in text
    assert "Order #42 has been delivered" in text and "pk_order_delivered" in text and "berkas ditulis" in text
    assert "6281234567890" not in text and "81234567890" not in text  # the number is the user's and the channel's
    client.get("/lang/en")
    assert "WhatsApp messages" in client.get("/admin/whatsapp", follow_redirects=True).get_data(as_text=True)
    with app.extensions["db"].new_session() as session:
        assert session.scalars(select(Notification)).all()[0].parameters == '["42", "https://p/orders/42"]'
