"""``/webhooks/whatsapp`` through the Flask test client (CSRF on, as in production): Meta's GET
handshake, and delivery statuses signed with the app secret (``X-Hub-Signature-256``), applied once
each, never backwards, a failure marking the number; a bad signature is a 400 that records nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

import pytest
from sqlalchemy import func, select

from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.notifications import services
from marketplace.notifications.models import Notification, NotificationPreference
from marketplace.payments.models import ProcessedWebhook
from marketplace.web import deps

SECRET = "app-secret-0f3c"
VERIFY = "verify-me-7"
PATH = "/webhooks/whatsapp"


@pytest.fixture
def cloud(app, settings) -> Any:
    deps.override(app, settings=settings.with_overrides(
        whatsapp_provider="cloud", whatsapp_token="t", whatsapp_phone_number_id="1", whatsapp_app_secret=SECRET,
        whatsapp_verify_token=VERIFY))
    return app


@pytest.fixture
def sent_message(cloud, api) -> dict[str, Any]:
    """A buyer with a number who opted in, and a WhatsApp message the Cloud API accepted as ``wamid.A1``."""
    buyer = api.make_user("buyer")
    with cloud.extensions["db"].transaction() as session:
        user = session.get(User, buyer.id)
        user.phone = "+6281234567890"
        services.update_preferences(session, user, language="id", wanted=[], whatsapp=True, now=utcnow())
        row = Notification(event_id="ev-1", event_type="order.paid", kind="order_paid", channel="whatsapp",
                           recipient_id=user.id, message_id="wa-1.order_paid", subject="pk_order_paid",
                           body_text="Pembayaran pesanan #1 …", status="sent", external_id="wamid.A1",
                           delivery_status="sent", attempts=1)
        session.add(row)
        session.flush()
        return {"row_id": row.id, "user_id": user.id}


def body(*statuses: dict[str, Any]) -> bytes:
    return json.dumps({"object": "whatsapp_business_account", "entry": [{"id": "WABA", "changes": [{
        "field": "messages", "value": {"messaging_product": "whatsapp",
                                       "metadata": {"display_phone_number": "6221555", "phone_number_id": "1"},
                                       "statuses": list(statuses)}}]}]}).encode()


def status(name: str, message_id: str = "wamid.A1", **more: Any) -> dict[str, Any]:
    return {"id": message_id, "status": name, "timestamp": "1767225600", "recipient_id": "6281234567890", **more}


def signed(raw: bytes, secret: str = SECRET) -> dict[str, str]:
    return {"X-Hub-Signature-256": "sha256=" + hmac.new(secret.encode(), raw, hashlib.sha256).hexdigest(),
            "Content-Type": "application/json"}


def post(client, raw: bytes, headers: dict[str, str]) -> Any:
    return client.post(PATH, data=raw, headers=headers)


def _row(app, row_id: int) -> Notification:
    with app.extensions["db"].new_session() as session:
        return session.get(Notification, row_id)


def _recorded(app) -> int:
    with app.extensions["db"].new_session() as session:
        return session.scalar(select(func.count()).select_from(ProcessedWebhook))


def test_the_subscription_handshake_echoes_the_challenge_only_for_our_token(client, cloud):
    ok = client.get(PATH, query_string={"hub.mode": "subscribe", "hub.verify_token": VERIFY, "hub.challenge": "1158201444"})
    assert ok.status_code == 200 and ok.get_data(as_text=True) == "1158201444"
    wrong = client.get(PATH, query_string={"hub.mode": "subscribe", "hub.verify_token": "guess", "hub.challenge": "1"})
    assert wrong.status_code == 403


def test_without_the_cloud_api_there_is_no_webhook(client):
    assert client.get(PATH, query_string={"hub.mode": "subscribe", "hub.verify_token": "", "hub.challenge": "1"}
                      ).status_code == 404
    assert post(client, body(status("read")), signed(body(status("read")), "")).status_code == 404


def test_a_bad_or_missing_signature_is_a_400_and_records_nothing(client, cloud, sent_message):
    raw = body(status("read"))
    for headers in (signed(raw, "another-secret"), {"Content-Type": "application/json"},
                    {"X-Hub-Signature-256": "sha256=", "Content-Type": "application/json"},
                    signed(raw + b" ")):  # signed, then changed
        resp = post(client, raw, headers)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_webhook"
    assert _row(cloud, sent_message["row_id"]).delivery_status == "sent"
    assert _recorded(cloud) == 0
    assert post(client, b"not json", signed(b"not json")).status_code == 400


def test_statuses_are_applied_once_and_never_backwards(client, cloud, sent_message, api, auth):
    delivered = body(status("delivered"))
    first = post(client, delivered, signed(delivered))
    assert first.status_code == 200 and first.json == {"received": True, "statuses": 1, "applied": 1, "windows_opened": 0}
    assert post(client, delivered, signed(delivered)).json["applied"] == 0  # Meta's retry
    read = body(status("read"), status("sent", "wamid.someone-else"))
    assert post(client, read, signed(read)).json == {"received": True, "statuses": 2, "applied": 1, "windows_opened": 0}
    late = body(status("sent"))
    assert post(client, late, signed(late)).json["applied"] == 0  # a late "sent" after "read"
    row = _row(cloud, sent_message["row_id"])
    assert row.delivery_status == "read" and row.status == "sent"
    assert _recorded(cloud) == 4  # delivered, read, the stranger's sent, the late sent: each once

    admin = api.make_user("admin")
    auth.login(admin.email, admin.password)
    page = client.get("/admin/whatsapp").get_data(as_text=True)
    assert "Dibaca penerima" in page and "Pembayaran pesanan #1" in page


def test_a_failed_status_is_shown_and_a_number_without_whatsapp_is_marked(client, cloud, sent_message):
    failed = body(status("failed", errors=[{"code": 131026, "title": "Message undeliverable"}]))
    assert post(client, failed, signed(failed)).json["applied"] == 1
    row = _row(cloud, sent_message["row_id"])
    assert row.delivery_status == "failed" and row.last_error == "code 131026: Message undeliverable"
    with cloud.extensions["db"].new_session() as session:
        assert session.get(NotificationPreference, sent_message["user_id"]).whatsapp_failed_phone == "+6281234567890"
    delivered = body(status("delivered"))
    post(client, delivered, signed(delivered))
    assert _row(cloud, sent_message["row_id"]).delivery_status == "failed"  # failed stays failed
