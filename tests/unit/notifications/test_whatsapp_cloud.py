"""From an order event to WhatsApp's Cloud API (a loopback server that checks the requests): the
template message's shape and bearer token, one row per channel, retries after 429 honouring its
Retry-After, a template the API rejects failing that message only, and a number WhatsApp cannot
reach marked on the user (nothing more sent to it) while the e-mail still goes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import transaction
from marketplace.notifications import delivery, services
from marketplace.notifications.models import Notification, NotificationPreference
from marketplace.notifications.whatsapp import whatsapp_from_settings
from tests.unit.notifications.conftest import NOW, envelope, place_paid_order
from tests.unit.notifications.whatsapp_server import PHONE_NUMBER_ID, TOKEN, VERSION, cloud_api, settings_for
from workers.notifications import handlers
from workers.worker import HandlerContext


def handle(factory: Any, settings: Any, event: dict[str, Any]) -> None:
    with transaction(factory) as session:
        handlers.HANDLERS[event["type"]](HandlerContext(session=session, settings=settings, clock=lambda: NOW), event)


def opt_in(factory: Any, user_id: int, phone: str, language: str = "id") -> None:
    with transaction(factory) as session:
        user = session.get(User, user_id)
        user.phone = phone
        services.update_preferences(session, user, language=language, wanted=[], whatsapp=True, now=NOW)


def whatsapp_rows(factory: Any) -> list[Notification]:
    with factory() as session:
        return list(session.scalars(select(Notification).where(Notification.channel == "whatsapp")
                                    .order_by(Notification.id)))


def paid(placed: Any) -> dict[str, Any]:
    return envelope("order.paid", {"order_id": placed.order_id, "buyer_id": placed.buyer_id, "total_idr": 650_000,
                                   "seller_order_ids": placed.seller_order_ids})


def test_an_order_paid_goes_to_the_cloud_api_as_template_messages_in_each_recipients_language(
        factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=2)
    opt_in(factory, placed.buyer_id, "+6281234567890", language="en")
    opt_in(factory, placed.artisan_ids[0], "+6285711112222")  # the second artisan did not opt in
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub)
        event = paid(placed)
        handle(factory, settings, event)
        handle(factory, settings, event)  # redelivered: nothing more
        sender = whatsapp_from_settings(settings)
        assert delivery.deliver_due(factory, mailer, NOW, whatsapp=sender) == 3 + 2  # 3 mails, 2 WhatsApp

    assert len(mailer.sent) == 3
    buyer_req, artisan_req = stub.requests
    assert buyer_req.path == f"/{VERSION}/{PHONE_NUMBER_ID}/messages"
    assert buyer_req.headers["authorization"] == f"Bearer {TOKEN}"
    assert buyer_req.json == {
        "messaging_product": "whatsapp", "recipient_type": "individual", "to": "+6281234567890", "type": "template",
        "template": {"name": "pk_order_paid", "language": {"code": "en"}, "components": [{"type": "body", "parameters": [
            {"type": "text", "text": str(placed.order_id)}, {"type": "text", "text": "Rp 650.000"},
            {"type": "text", "text": f"https://pasar.test/en/orders/{placed.order_id}"}]}]}}  # English link
    template = artisan_req.json["template"]
    assert (artisan_req.json["to"], template["name"], template["language"]["code"]) == (
        "+6285711112222", "pk_seller_order_to_ship", "id")
    assert [p["text"] for p in template["components"][0]["parameters"]] == [
        str(placed.order_id), "4 Mar 2026", "https://pasar.test/seller/orders"]

    rows = whatsapp_rows(factory)
    assert [(r.kind, r.recipient_id, r.status, r.delivery_status) for r in rows] == [
        ("order_paid", placed.buyer_id, "sent", "sent"),
        ("seller_order_to_ship", placed.artisan_ids[0], "sent", "sent")]
    assert {r.external_id for r in rows} == {"wamid.HBgN0001", "wamid.HBgN0002"}
    assert rows[1].body_text == (f"Pesanan baru #{placed.order_id} sudah dibayar. Kirim paling lambat 4 Mar 2026. "
                                 "Rincian dan alamat: https://pasar.test/seller/orders")


def test_a_429_is_retried_after_its_retry_after_then_sent_once(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
    opt_in(factory, placed.buyer_id, "+6281234567890")
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub)
        sender = whatsapp_from_settings(settings)
        handle(factory, settings, paid(placed))
        stub.script = ["429"]
        delivery.deliver_due(factory, mailer, NOW, whatsapp=sender)
        [row] = [r for r in whatsapp_rows(factory) if r.recipient_id == placed.buyer_id]
        assert (row.status, row.attempts) == ("retrying", 1)
        assert "429" in row.last_error and "130429" in row.last_error
        assert row.next_attempt_at == NOW + timedelta(seconds=120)  # the API's wait, longer than the first backoff
        assert delivery.deliver_due(factory, mailer, NOW + timedelta(seconds=60), whatsapp=sender) == 0
        assert len(stub.requests) == 1
        assert delivery.deliver_due(factory, mailer, NOW + timedelta(seconds=121), whatsapp=sender) == 1
        assert len(stub.requests) == 2
        assert delivery.deliver_due(factory, mailer, NOW + timedelta(hours=1), whatsapp=sender) == 0
    [row] = [r for r in whatsapp_rows(factory) if r.recipient_id == placed.buyer_id]
    assert (row.status, row.attempts, row.last_error) == ("sent", 2, None)


def test_a_number_without_whatsapp_is_marked_and_skipped_later_while_the_mail_still_goes(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        second = place_paid_order(session, shops=1, buyer=session.get(User, placed.buyer_id))
    opt_in(factory, placed.buyer_id, "+6281299990000")
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub)
        sender = whatsapp_from_settings(settings)
        handle(factory, settings, paid(placed))
        delivery.deliver_due(factory, mailer, NOW, whatsapp=sender)
        [row] = whatsapp_rows(factory)
        assert (row.status, row.delivery_status, row.next_attempt_at) == ("permanent", "failed", None)
        assert "131026" in row.last_error and "Message undeliverable" in row.last_error
        assert "6281299990000" not in row.last_error
        with factory() as session:
            pref = session.get(NotificationPreference, placed.buyer_id)
            assert pref.whatsapp_failed_phone == "+6281299990000" and pref.whatsapp  # still opted in; number marked
            assert services.preferences_of(session, session.get(User, placed.buyer_id))["whatsapp_number_failed"]
        # the buyer's e-mail went regardless
        buyer_email = {r.email for r in _rows(factory) if r.recipient_id == placed.buyer_id and r.channel == "email"}
        assert buyer_email <= {m.to for m in mailer.sent} and buyer_email

        handle(factory, settings, paid(second))  # the next order: nothing more to that number
        delivery.deliver_due(factory, mailer, NOW, whatsapp=sender)
        assert len(stub.requests) == 1
        later = [r for r in whatsapp_rows(factory) if r.id != row.id and r.recipient_id == placed.buyer_id]
        assert [(r.status, r.skip_reason) for r in later] == [("skipped", "phone_failed")]

    with transaction(factory) as session:  # a new number sends again
        session.get(User, placed.buyer_id).phone = "+6281234567890"
    with factory() as session:
        assert services.whatsapp_blocked(session, session.get(User, placed.buyer_id)) is None


def _rows(factory: Any) -> list[Notification]:
    with factory() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def test_a_template_the_api_rejects_fails_that_message_only(factory, mail_settings, mailer, monkeypatch):
    from marketplace.notifications import whatsapp_texts

    with factory() as session:
        placed = place_paid_order(session, shops=1)
    opt_in(factory, placed.buyer_id, "+6281234567890")
    monkeypatch.setattr(whatsapp_texts, "template_name", lambda kind: f"pk_{kind}_v2")  # not approved at Meta
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub)
        handle(factory, settings, paid(placed))
        delivery.deliver_due(factory, mailer, NOW, whatsapp=whatsapp_from_settings(settings))
    [row] = whatsapp_rows(factory)
    assert (row.status, row.attempts) == ("permanent", 1) and "132001" in row.last_error
    with factory() as session:
        assert session.get(NotificationPreference, placed.buyer_id).whatsapp_failed_phone is None
    assert len(mailer.sent) == 2  # the buyer's and the artisan's mail


def test_our_own_bad_token_is_retried_not_blamed_on_the_number(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
    opt_in(factory, placed.buyer_id, "+6281234567890")
    with cloud_api() as stub:
        settings = settings_for(mail_settings, stub).with_overrides(whatsapp_token="expired")
        handle(factory, settings, paid(placed))
        delivery.deliver_due(factory, mailer, NOW, whatsapp=whatsapp_from_settings(settings))
    [row] = whatsapp_rows(factory)
    assert row.status == "retrying" and "401" in row.last_error and "190" in row.last_error
    with factory() as session:
        assert session.get(NotificationPreference, placed.buyer_id).whatsapp_failed_phone is None


def test_a_rejected_listing_tells_its_artisan_the_reason_by_whatsapp_and_a_delivery_tells_the_buyer(
        factory, mail_settings, tmp_path):
    from marketplace.listings.models import Listing
    from marketplace.shops.models import Shop

    with factory() as session:
        placed = place_paid_order(session, shops=1)
        listing_id = session.scalar(select(Listing.id).join(Shop, Shop.id == Listing.shop_id)
                                    .where(Shop.owner_id == placed.artisan_ids[0]))
    opt_in(factory, placed.artisan_ids[0], "+6285711112222", language="en")
    opt_in(factory, placed.buyer_id, "+6281234567890")
    settings = mail_settings.with_overrides(whatsapp_provider="sandbox", whatsapp_dir=str(tmp_path / "wa"))
    handle(factory, settings, envelope("listing.rejected", {"listing_id": listing_id, "shop_id": 1,
                                                            "reason": "The photos are blurred"}))
    handle(factory, settings, envelope("order.delivered", {"order_id": placed.order_id,
                                                           "seller_order_id": placed.seller_order_ids[0]}))
    rejected, delivered = whatsapp_rows(factory)
    assert (rejected.kind, rejected.recipient_id, rejected.language) == ("listing_rejected", placed.artisan_ids[0], "en")
    assert "Reason: The photos are blurred" in rejected.body_text
    assert f"https://pasar.test/en/seller/listings/{listing_id}/edit" in rejected.body_text
    assert (delivered.kind, delivered.recipient_id) == ("order_delivered", placed.buyer_id)
    assert delivered.body_text.startswith(f"Pesanan #{placed.order_id} sudah diterima.")
    with factory() as session:
        mailed = session.scalars(select(Notification).where(
            Notification.channel == "email", Notification.kind == "listing_rejected")).one()
    assert mailed.recipient_id == placed.artisan_ids[0] and mailed.status == "queued"
    assert "The reviewers' reason: The photos are blurred" in mailed.body_text
    assert f"https://pasar.test/en/seller/listings/{listing_id}/edit" in mailed.body_html
