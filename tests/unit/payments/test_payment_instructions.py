"""The buyer is told how to pay the method they chose, once its attempt exists at the gateway: a bank
transfer's virtual account number, the amount and the deadline, by e-mail (and WhatsApp when opted in);
nothing for a card, nor for an attempt already replaced by another method."""

from __future__ import annotations

import json

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.notifications.models import Notification
from tests.unit.payments.test_pay_methods import _choose, make  # noqa: F401  (the fixture)
from workers.notifications import handlers
from workers.worker import HandlerContext


def _deliver_intents(app, settings) -> None:
    """Every ``payment.intent_created`` through the notifications worker's handler, twice (at least once)."""
    with app.extensions["db"].transaction() as session:
        envelopes = [json.loads(p) for p in session.scalars(select(OutboxEvent.payload).where(
            OutboxEvent.type == "payment.intent_created").order_by(OutboxEvent.id))]
    for _ in range(2):
        for envelope in envelopes:
            with app.extensions["db"].transaction() as session:
                handlers.HANDLERS["payment.intent_created"](
                    HandlerContext(session=session, settings=settings, clock=utcnow), envelope)


def _told(app, order_id) -> list[Notification]:
    with app.extensions["db"].transaction() as session:
        rows = list(session.scalars(select(Notification).where(Notification.kind == "payment_instructions")
                                    .order_by(Notification.id)))
        session.expunge_all()
    return rows


def test_a_va_buyer_gets_the_number_amount_and_deadline_once(api, app, settings, shop_order, make):  # noqa: F811
    buyer, order, _ = shop_order(with_intent=False)
    assert _choose(api, buyer, order.id, "va_bni").status_code == 202
    assert make() == 1
    _deliver_intents(app, settings)
    [mail] = _told(app, order.id)
    action = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]["action"]
    assert mail.recipient_id == buyer.id and mail.status == "queued"
    assert mail.subject.startswith(f"Cara membayar pesanan #{order.id}: Rp")
    assert action["account_number"] in mail.body_text and "BNI" in mail.body_text
    assert f"/orders/{order.id}/pay" in mail.body_text and action["account_number"] in mail.body_html


def test_a_replaced_attempt_and_a_card_say_nothing(api, app, settings, shop_order, make):  # noqa: F811
    buyer, order, _ = shop_order(with_intent=False)
    assert _choose(api, buyer, order.id, "va_bri").status_code == 202
    assert make() == 1
    assert _choose(api, buyer, order.id, "qris").status_code == 202  # changed their mind before the mail went
    assert make() == 1
    _deliver_intents(app, settings)
    told = _told(app, order.id)
    assert len(told) == 1 and "QRIS" in told[0].body_text and "BRI" not in told[0].body_text

    card_buyer, card_order, _ = shop_order(with_intent=False)
    assert _choose(api, card_buyer, card_order.id, "card").status_code == 202
    assert make() == 1
    _deliver_intents(app, settings)
    assert [n.recipient_id for n in _told(app, card_order.id)] == [buyer.id]  # still only the first buyer's
