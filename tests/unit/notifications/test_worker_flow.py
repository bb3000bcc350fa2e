"""From an order or payout event to mail handed to the ``Mailer``: who is told what, in which
language, once; what is skipped and why; and how the mail loop retries, gives up and marks bounces."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from marketplace.accounts.models import User
from marketplace.db import transaction
from marketplace.notifications import delivery, services
from marketplace.notifications.mailer import AddressRejected, PermanentMailError, TemporaryMailError
from marketplace.notifications.models import Notification, NotificationPreference
from marketplace.orders.models import SellerOrder
from tests.unit.notifications.conftest import NOW, envelope, make_user, place_paid_order
from workers.notifications import handlers
from workers.worker import HandlerContext


def handle(factory: Any, settings: Any, event: dict[str, Any], now=NOW) -> None:
    """The worker's handler in one transaction, as the runner runs it."""
    with transaction(factory) as session:
        handlers.HANDLERS[event["type"]](HandlerContext(session=session, settings=settings, clock=lambda: now), event)


def rows(factory: Any) -> list[Notification]:
    with factory() as session:
        return list(session.scalars(select(Notification).order_by(Notification.id)))


def by_kind(factory: Any) -> dict[str, list[Notification]]:
    found: dict[str, list[Notification]] = {}
    for row in rows(factory):
        found.setdefault(row.kind, []).append(row)
    return found


def test_an_order_placed_tells_the_buyer_how_and_by_when_to_pay_in_bahasa_indonesia(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, paid=False)
    handle(factory, mail_settings, envelope("order.placed", {"order_id": placed.order_id}))

    [row] = rows(factory)
    assert (row.kind, row.recipient_id, row.status, row.language) == ("order_placed", placed.buyer_id, "queued", "id")
    assert row.subject == f"Pesanan #{placed.order_id} diterima: bayar sebelum 2 Mar 2026 11.00 WIB"
    assert "Total: Rp 650.000" in row.body_text and "Ongkos kirim: Rp 50.000" in row.body_text
    assert f"https://pasar.test/orders/{placed.order_id}/pay" in row.body_text
    assert f'href="https://pasar.test/orders/{placed.order_id}/pay"' in row.body_html
    assert row.message_id.endswith("@pasar.test>") and row.unsubscribe_url is None  # transactional

    assert delivery.deliver_due(factory, mailer, NOW) == 1
    [mail] = mailer.sent
    assert (mail.to, mail.subject, mail.message_id) == (row.email, row.subject, row.message_id)
    assert [r.status for r in rows(factory)] == ["sent"]
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(days=1)) == 0  # nothing twice


def test_an_order_paid_tells_the_buyer_and_each_artisan_what_to_ship_where_and_by_when(factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=2)
        services.update_preferences(session, session.get(User, placed.artisan_ids[1]), language="en", wanted=[], now=NOW)
        session.commit()
    event = envelope("order.paid", {"order_id": placed.order_id, "buyer_id": placed.buyer_id, "total_idr": 650_000,
                                    "seller_order_ids": placed.seller_order_ids})
    handle(factory, mail_settings, event)
    handle(factory, mail_settings, event)  # a redelivered copy: nothing more

    kinds = by_kind(factory)
    assert [r.recipient_id for r in kinds["order_paid"]] == [placed.buyer_id]
    first, second = kinds["seller_order_to_ship"]
    assert [first.recipient_id, second.recipient_id] == placed.artisan_ids
    assert first.subject == f"Pesanan baru #{placed.order_id}: kirim sebelum 4 Mar 2026"
    assert "Kirim paling lambat: 4 Mar 2026 10.00 WIB" in first.body_text
    assert "Jl. Melati 3" in first.body_text and "Bandung, Jawa Barat 40111" in first.body_text
    assert "Kain batik tulis" in first.body_text and "× 2" in first.body_text
    assert second.language == "en" and second.subject == f"New order #{placed.order_id}: ship by Mar 4, 2026"
    assert "Ship by: Mar 4, 2026, 10:00\u202fAM WIB" in second.body_text
    assert len(rows(factory)) == 3


def test_shipped_tells_courier_and_tracking_and_the_reminder_waits_then_goes_only_if_unconfirmed(
        factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=2)
    for seller_order_id in placed.seller_order_ids:
        with transaction(factory) as session:  # as the artisan's "ship" does before its event
            session.get(SellerOrder, seller_order_id).status = "shipped"
        handle(factory, mail_settings, envelope("order.shipped", {
            "order_id": placed.order_id, "seller_order_id": seller_order_id, "shop_id": 1, "courier": "JNE",
            "tracking_number": f"JNE{seller_order_id}"}))
    kinds = by_kind(factory)
    shipped = kinds["order_shipped"][0]
    assert "Kurir: JNE" in shipped.body_text and f"Nomor resi: JNE{placed.seller_order_ids[0]}" in shipped.body_text
    reminders = kinds["order_delivery_reminder"]
    assert [r.next_attempt_at for r in reminders] == [NOW + timedelta(days=3)] * 2
    assert reminders[0].unsubscribe_url == "https://pasar.test/account/notifications"

    assert delivery.deliver_due(factory, mailer, NOW) == 2  # the two shipped notes, not the reminders
    with transaction(factory) as session:  # the buyer confirms the first parcel meanwhile
        session.get(SellerOrder, placed.seller_order_ids[0]).status = "delivered"
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(days=3)) == 1
    reminder = mailer.sent[-1]
    assert reminder.subject == f"Paket pesanan #{placed.order_id} sudah sampai?"
    assert reminder.unsubscribe_url == "https://pasar.test/account/notifications"
    first, second = by_kind(factory)["order_delivery_reminder"]
    assert (first.status, first.skip_reason, second.status) == ("skipped", "no_longer_relevant", "sent")


def test_opted_out_and_address_less_recipients_are_skipped_and_say_why(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        buyer = session.get(User, placed.buyer_id)
        services.update_preferences(session, buyer, language="id", wanted=[], now=NOW)  # no reminders
        session.get(User, placed.artisan_ids[0]).email = ""
        session.commit()
    handle(factory, mail_settings, envelope("order.shipped", {
        "order_id": placed.order_id, "seller_order_id": placed.seller_order_ids[0], "shop_id": 1, "courier": "SiCepat",
        "tracking_number": "SC1"}))
    handle(factory, mail_settings, envelope("order.delivered", {
        "order_id": placed.order_id, "seller_order_id": placed.seller_order_ids[0], "shop_id": 1}))
    kinds = by_kind(factory)
    assert kinds["order_shipped"][0].status == "queued"  # transactional: opting out does not stop it
    assert (kinds["order_delivery_reminder"][0].status, kinds["order_delivery_reminder"][0].skip_reason) == (
        "skipped", "opted_out")
    assert (kinds["seller_order_delivered"][0].status, kinds["seller_order_delivered"][0].skip_reason) == (
        "skipped", "no_email")
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(days=30)) == 1
    assert [m.subject for m in mailer.sent] == [kinds["order_shipped"][0].subject]


def test_opting_out_after_queueing_still_stops_the_reminder(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        session.get(SellerOrder, placed.seller_order_ids[0]).status = "shipped"
        session.commit()
    handle(factory, mail_settings, envelope("order.shipped", {
        "order_id": placed.order_id, "seller_order_id": placed.seller_order_ids[0], "shop_id": 1, "courier": "JNE",
        "tracking_number": "J1"}))
    with transaction(factory) as session:
        services.update_preferences(session, session.get(User, placed.buyer_id), language="id", wanted=[], now=NOW)
    delivery.deliver_due(factory, mailer, NOW + timedelta(days=5))
    reminder = by_kind(factory)["order_delivery_reminder"][0]
    assert (reminder.status, reminder.skip_reason) == ("skipped", "opted_out")
    assert [m.subject for m in mailer.sent] == [by_kind(factory)["order_shipped"][0].subject]


def test_a_temporary_failure_is_retried_with_backoff_and_the_same_message_id_then_given_up(
        factory, mail_settings, mailer, monkeypatch):
    with factory() as session:
        placed = place_paid_order(session, shops=1, paid=False)
    handle(factory, mail_settings, envelope("order.placed", {"order_id": placed.order_id}))
    mailer.failures = [TemporaryMailError("connection refused"), TemporaryMailError("timed out")]

    assert delivery.deliver_due(factory, mailer, NOW) == 0
    [row] = rows(factory)
    assert (row.status, row.attempts, row.last_error) == ("retrying", 1, "connection refused")
    assert row.next_attempt_at == NOW + timedelta(seconds=30)
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(seconds=29)) == 0  # not due yet
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(seconds=30)) == 0
    assert rows(factory)[0].next_attempt_at == NOW + timedelta(seconds=30 + 60)  # backing off
    assert delivery.deliver_due(factory, mailer, NOW + timedelta(seconds=90)) == 1
    assert len({m.message_id for m in mailer.attempts}) == 1 and len(mailer.attempts) == 3
    assert len({m.date for m in mailer.attempts}) == 1
    assert [(r.status, r.attempts, r.last_error) for r in rows(factory)] == [("sent", 3, None)]

    # A message that never gets through is given up after MAX_ATTEMPTS, and stays visible.
    monkeypatch.setattr(delivery, "MAX_ATTEMPTS", 2)
    handle(factory, mail_settings, envelope("order.placed", {"order_id": placed.order_id}))
    mailer.failures = [TemporaryMailError("451 try later")] * 2
    delivery.deliver_due(factory, mailer, NOW)
    delivery.deliver_due(factory, mailer, NOW + timedelta(hours=1))
    gave_up = rows(factory)[-1]
    assert (gave_up.status, gave_up.attempts, gave_up.next_attempt_at, gave_up.last_error) == (
        "failed", 2, None, "451 try later")


def test_a_bounced_address_is_marked_and_later_mail_to_it_is_skipped(factory, mail_settings, mailer):
    with factory() as session:
        placed = place_paid_order(session, shops=1, paid=False)
    handle(factory, mail_settings, envelope("order.placed", {"order_id": placed.order_id}))
    mailer.failures = [AddressRejected("recipient refused: 550 no such user")]
    delivery.deliver_due(factory, mailer, NOW)
    [row] = rows(factory)
    assert (row.status, row.next_attempt_at, row.attempts) == ("permanent", None, 1)
    with factory() as session:
        pref = session.get(NotificationPreference, placed.buyer_id)
        assert pref.bounced_email == row.email and "550" in pref.bounce_reason

    handle(factory, mail_settings, envelope("order.cancelled", {"order_id": placed.order_id, "reason": "payment expired"}))
    later = rows(factory)[-1]
    assert (later.status, later.skip_reason) == ("skipped", "address_bounced")
    with transaction(factory) as session:  # a new address: mail flows again
        session.get(User, placed.buyer_id).email = "siti.baru@example.id"
    handle(factory, mail_settings, envelope("order.cancelled", {"order_id": placed.order_id, "reason": "payment expired"}))
    assert rows(factory)[-1].status == "queued"

    # A message refused for its content is permanent too, but the address is not blamed for it.
    mailer.failures = [PermanentMailError("message refused: 554 spam")]
    delivery.deliver_due(factory, mailer, NOW)
    with factory() as session:
        assert session.get(NotificationPreference, placed.buyer_id).bounced_email == row.email


def test_cancelled_and_refunded_tell_the_buyer_why_and_how_much(factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=2)
    part = placed.seller_order_ids[1]
    handle(factory, mail_settings, envelope("order.cancelled", {
        "order_id": placed.order_id, "reason": "Stok habis", "seller_order_id": part, "shop_id": 1,
        "refund_idr": 325_000}))
    handle(factory, mail_settings, envelope("order.refunded", {
        "order_id": placed.order_id, "amount_idr": 325_000, "reason": "Stok habis", "refund_id": 9,
        "seller_order_id": part}))
    kinds = by_kind(factory)
    cancelled, refunded = kinds["order_cancelled"][0], kinds["order_refunded"][0]
    assert cancelled.subject == f"Sebagian pesanan #{placed.order_id} dibatalkan"
    assert "Alasan: Stok habis" in cancelled.body_text and "Dana Rp 325.000 akan dikembalikan" in cancelled.body_text
    assert refunded.subject == f"Dana Rp 325.000 untuk pesanan #{placed.order_id} dikembalikan"


def test_payouts_tell_the_artisan_and_a_failure_tells_every_admin(factory, mail_settings):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        admins = [make_user(session, "admin").id, make_user(session, "admin").id]
        make_user(session, "admin", is_active=False)
        session.commit()
    artisan = placed.artisan_ids[0]
    handle(factory, mail_settings, envelope("payout.paid", {"payout_id": 4, "seller_id": artisan, "amount_idr": 292_500,
                                                            "transfer_id": "tr_123"}))
    handle(factory, mail_settings, envelope("payout.paid", {"payout_id": 5, "seller_id": artisan, "amount_idr": 1_000,
                                                            "transfer_id": "tr_124", "seller_order_ids": [7, 8]}))
    handle(factory, mail_settings, envelope("payout.failed", {"payout_id": 6, "seller_id": artisan,
                                                              "reason": "account closed"}))
    kinds = by_kind(factory)
    first, second = kinds["payout_paid"]
    assert first.recipient_id == artisan and first.subject == "Pembayaran Rp 292.500 sudah dikirim"
    assert "tr_123" in first.body_text and "Untuk pesanan" not in first.body_text
    assert "Untuk pesanan: #7, #8" in second.body_text
    assert [r.recipient_id for r in kinds["payout_failed"]] == admins
    assert "Alasan: account closed" in kinds["payout_failed"][0].body_text
