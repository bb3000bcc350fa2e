"""What users and admins see: the e-mail settings (page and API), the admins' mail page with the
``.eml`` files of the embedded mailer, and password reset by e-mail (single use, expiring)."""

from __future__ import annotations

import re
from datetime import timedelta

from sqlalchemy import select

from marketplace.accounts.reset import services as reset
from marketplace.accounts.models import ApiToken, User
from marketplace.db import utcnow
from marketplace.notifications import delivery
from marketplace.notifications.mailer import FileMailer
from marketplace.notifications.models import Notification, NotificationOptOut
from tests.conftest import PageAuth


def _notifications(app) -> list[Notification]:
    with app.extensions["db"].new_session() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


#: The optional messages each role is offered, in the settings' order (marketplace.notifications.kinds).
BUYER_OPTIONS = ["order_delivery_reminder", "review_invite", "shipment_picked_up", "message_received",
                 "programme_event_reminder", "follow_digest"]
ARTISAN_OPTIONS = ["seller_order_delivered", "message_received", "programme_event_reminder", "follow_digest"]


def _send_all(app, settings) -> FileMailer:
    mailer = FileMailer(settings.mail_directory(), settings.mail_from)
    delivery.deliver_due(app.extensions["db"].write_session_factory, mailer, utcnow())
    return mailer


def test_a_buyer_switches_reminders_off_and_english_on_from_the_settings_page(client, auth, api, app):
    buyer = api.make_user("buyer")
    auth.login(buyer.email, buyer.password)
    page = client.get("/account/notifications").get_data(as_text=True)
    assert "Pengingat untuk mengonfirmasi paket yang sudah sampai" in page
    assert "Kabar saat pembeli" not in page  # an artisan's option, not offered to a buyer
    assert '<input checked id="wanted-0" name="wanted" type="checkbox" value="order_delivery_reminder">' in page

    token = auth.csrf_token("/account/notifications")
    resp = client.post("/account/notifications", data={"csrf_token": token, "language": "en"})
    assert resp.status_code == 302
    got = api.get("/api/v1/me/notification-preferences", as_=buyer).json
    assert got == {"language": "en", "offered": BUYER_OPTIONS, "wanted": [], "bounced_email": None,
                   "whatsapp": False, "phone": None, "whatsapp_number_failed": False}

    resp = client.post("/account/notifications", data={"csrf_token": token, "language": "xx"})
    assert resp.status_code == 422 and "Pilihan tidak valid." in resp.get_data(as_text=True)
    assert api.get("/api/v1/me/notification-preferences", as_=buyer).json["language"] == "en"  # unchanged


def test_the_preferences_api_changes_only_what_it_is_given_and_refuses_bad_input(api):
    artisan = api.make_user("artisan")
    path = "/api/v1/me/notification-preferences"
    assert api.get(path, as_=artisan).json["wanted"] == ARTISAN_OPTIONS
    assert api.patch(path, as_=artisan, json={"wanted": []}).json["wanted"] == []
    assert api.patch(path, as_=artisan, json={"language": "en"}).json == {
        "language": "en", "offered": ARTISAN_OPTIONS, "wanted": [], "bounced_email": None,
        "whatsapp": False, "phone": None, "whatsapp_number_failed": False}
    bad = api.patch(path, as_=artisan, json={"language": "fr", "wanted": ["order_paid"]})
    assert bad.status_code == 422 and set(bad.json["error"]["fields"]) == {"language", "wanted"}
    # an option of another role is accepted and has no effect: only the caller's own are switched
    assert api.patch(path, as_=artisan, json={"wanted": ["order_delivery_reminder"]}).json["wanted"] == []


def test_forgot_password_mails_a_single_use_link_and_the_new_password_works(client, auth, api, app, settings):
    buyer = api.make_user("buyer")
    elsewhere = PageAuth(app.test_client())  # the buyer's other browser, still logged in with the old password
    assert elsewhere.login(buyer.email, buyer.password).status_code == 302
    assert elsewhere.client.get("/orders").status_code == 200
    token = auth.csrf_token("/forgot-password")
    unknown = client.post("/forgot-password", data={"csrf_token": token, "email": "nobody@example.id"})
    known = client.post("/forgot-password", data={"csrf_token": token, "email": buyer.email.upper()})
    assert unknown.status_code == known.status_code == 302  # the same answer: no account enumeration
    [row] = _notifications(app)
    assert (row.kind, row.email, row.status) == ("password_reset", buyer.email, "queued")

    mailer = _send_all(app, settings)
    message = mailer.read(row.message_id)
    assert message["Subject"] == "Atur ulang kata sandi Pasar Kreatif"
    link = re.search(r"https?://\S+/reset-password/(\S+)", message.get_body(("plain",)).get_content())
    path = "/reset-password/" + link.group(1)

    assert client.get(path).status_code == 200
    form_token = auth.csrf_token(path)
    weak = client.post(path, data={"csrf_token": form_token, "password": "short"})
    assert weak.status_code == 422
    done = client.post(path, data={"csrf_token": form_token, "password": "kata sandi baru sekali"})
    assert done.status_code == 302 and done.headers["Location"].endswith("/login")
    assert api.get("/api/v1/me", as_=buyer).status_code == 401  # the API token died with the old password
    assert elsewhere.client.get("/orders").status_code == 302  # and so did every browser session
    again = client.get(path)
    assert again.status_code == 422 and "sudah dipakai" in again.get_data(as_text=True)
    assert client.post(path, data={"csrf_token": form_token, "password": "lagi lagi lagi lagi"}).status_code == 422
    login = auth.login(buyer.email, "kata sandi baru sekali")
    assert login.status_code == 302


def test_a_reset_link_expires_and_a_forged_one_is_refused(app, api, settings):
    buyer = api.make_user("buyer")
    with app.extensions["db"].transaction() as session:
        user = session.get(User, buyer.id)
        now = utcnow()
        token, expires = reset.make_token(settings, user, now)
        assert expires == now + timedelta(minutes=settings.password_reset_ttl_minutes)
        assert reset.user_for_token(session, settings, token, expires - timedelta(seconds=1)).id == buyer.id
        for bad, when in [(token, expires), (token[:-2] + "xx", now),
                          (reset.make_token(settings.with_overrides(secret_key="another"), user, now)[0], now)]:
            try:
                reset.user_for_token(session, settings, bad, when)
            except Exception as err:  # noqa: BLE001
                assert str(err) == reset.INVALID_LINK
            else:
                raise AssertionError("accepted a dead token")
        assert session.scalar(select(ApiToken.revoked_at).where(ApiToken.user_id == buyer.id)) is None


def test_admins_see_the_mail_queue_and_the_written_eml_files(client, auth, api, app, settings):
    buyer = api.make_user("buyer")
    admin = api.make_user("admin")
    with app.extensions["db"].transaction() as session:
        reset.request_reset(session, settings, buyer.email, utcnow())
    _send_all(app, settings)
    [row] = _notifications(app)
    auth.login(admin.email, admin.password)
    page = client.get("/admin/mail").get_data(as_text=True)
    assert "Atur ulang kata sandi Pasar Kreatif" in page and buyer.email in page and "sent" in page
    assert settings.mail_directory() in page
    detail = client.get(f"/admin/mail/{row.id}").get_data(as_text=True)
    assert row.message_id.replace("<", "&lt;").replace(">", "&gt;") in detail
    eml = client.get(f"/admin/mail/{row.id}.eml")
    assert eml.status_code == 200 and eml.mimetype == "message/rfc822"
    assert b"Message-ID: " + row.message_id.encode() in eml.data
    assert client.get("/admin/mail/999999").status_code == 404


def test_opt_outs_are_stored_per_kind(app, api, client, auth):
    artisan = api.make_user("artisan")
    api.patch("/api/v1/me/notification-preferences", as_=artisan, json={"wanted": []})
    with app.extensions["db"].new_session() as session:
        assert sorted(session.scalars(select(NotificationOptOut.kind).where(NotificationOptOut.user_id == artisan.id))) == \
            sorted(ARTISAN_OPTIONS)
