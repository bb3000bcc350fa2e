"""After delivery the buyer is invited, once, to review each item: by e-mail through the notifications
worker, with a link to each item's review page; a redelivered event sends nothing more; a buyer who
switched the invitations off gets none."""

from __future__ import annotations

from datetime import timedelta

from marketplace.accounts.models import User
from marketplace.notifications import delivery, services
from marketplace.orders.models import SellerOrder
from tests.unit.notifications.conftest import NOW, envelope, place_paid_order
from tests.unit.notifications.test_worker_flow import by_kind, handle


def _delivered(factory):
    with factory() as session:
        placed = place_paid_order(session, shops=1)
        part = session.get(SellerOrder, placed.seller_order_ids[0])
        part.status, part.delivered_at = "delivered", NOW
        session.commit()
    return placed, envelope("order.delivered", {"order_id": placed.order_id,
                                                "seller_order_id": placed.seller_order_ids[0], "shop_id": 1})


def test_the_buyer_is_invited_once_with_a_link_to_each_item_s_review_page(factory, mail_settings, mailer):
    placed, event = _delivered(factory)
    handle(factory, mail_settings, event)
    handle(factory, mail_settings, event)  # redelivered: nothing more
    [invite] = by_kind(factory)["review_invite"]
    assert invite.recipient_id == placed.buyer_id and invite.status == "queued"
    assert f"https://pasar.test/orders/{placed.order_id}/items/" in invite.body_text and "/review" in invite.body_text
    assert "60 hari" in invite.body_text and invite.unsubscribe_url == "https://pasar.test/account/notifications"
    delivery.deliver_due(factory, mailer, NOW + timedelta(minutes=1))
    assert invite.subject in [m.subject for m in mailer.sent]


def test_a_buyer_who_switched_invitations_off_gets_none(factory, mail_settings):
    placed, event = _delivered(factory)
    with factory() as session:
        services.update_preferences(session, session.get(User, placed.buyer_id), language="id", wanted=[], now=NOW)
        session.commit()
    handle(factory, mail_settings, event)
    [invite] = by_kind(factory)["review_invite"]
    assert (invite.status, invite.skip_reason) == ("skipped", "opted_out")
