"""Disputes through the notifications worker: the artisan hears of a dispute opened (e-mail, and WhatsApp
once opted in), the buyer of its end (and the artisan when an admin decided); a redelivered event sends
nothing more."""

from __future__ import annotations

from marketplace.disputes.models import Dispute
from marketplace.orders.models import SellerOrder
from tests.unit.notifications.conftest import NOW, envelope, place_paid_order
from tests.unit.notifications.test_whatsapp_cloud import opt_in, whatsapp_rows
from tests.unit.notifications.test_worker_flow import by_kind, handle


def _disputed(factory):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        part = session.get(SellerOrder, placed.seller_order_ids[0])
        part.status, part.delivered_at = "delivered", NOW
        dispute = Dispute(seller_order_id=part.id, order_id=placed.order_id, shop_id=part.shop_id,
                          buyer_id=placed.buyer_id, reason="damaged", text="Retak di sisi kiri.", opened_at=NOW)
        session.add(dispute)
        session.commit()
        data = {"dispute_id": dispute.id, "order_id": placed.order_id, "seller_order_id": part.id, "shop_id": part.shop_id}
    return placed, data


def test_the_artisan_hears_of_a_dispute_once_by_mail_and_whatsapp(factory, mail_settings, tmp_path):
    placed, data = _disputed(factory)
    opt_in(factory, placed.artisan_ids[0], "+6285711112222")
    settings = mail_settings.with_overrides(whatsapp_provider="sandbox", whatsapp_dir=str(tmp_path / "wa"))
    event = envelope("dispute.opened", {**data, "reason": "damaged"}, key=placed.order_id)
    handle(factory, settings, event)
    handle(factory, settings, event)  # redelivered: nothing more
    [mail] = [r for r in by_kind(factory)["dispute_opened"] if r.channel == "email"]
    assert mail.recipient_id == placed.artisan_ids[0] and mail.subject == f"Komplain atas pesanan #{placed.order_id}"
    assert f"https://pasar.test/disputes/{data['dispute_id']}" in mail.body_text
    assert "Retak" not in mail.body_text  # the buyer's words stay on the dispute page
    [wa] = whatsapp_rows(factory)
    assert wa.recipient_id == placed.artisan_ids[0] and wa.body_text.startswith("Pembeli mengajukan komplain")


def test_the_buyer_hears_the_outcome_and_the_artisan_too_when_an_admin_decided(factory, mail_settings):
    placed, data = _disputed(factory)
    refund = envelope("dispute.resolved", {**data, "outcome": "refund", "refund_id": None, "amount_idr": 25_000,
                                           "resolved_by": "admin"}, key=placed.order_id)
    handle(factory, mail_settings, refund)
    handle(factory, mail_settings, refund)
    rows = by_kind(factory)["dispute_resolved"]
    assert sorted(r.recipient_id for r in rows) == sorted([placed.buyer_id, placed.artisan_ids[0]])
    buyer_mail = next(r for r in rows if r.recipient_id == placed.buyer_id)
    assert "Rp 25.000" in buyer_mail.body_text and "selesai" in buyer_mail.subject
