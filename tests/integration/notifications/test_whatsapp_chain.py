"""``order.paid`` to a WhatsApp message through the real broker: a buyer who opted in with a phone
number checks out (the real API), the order is paid (``order.paid`` in the outbox), the relay publishes
it, the notifications worker (declared as in production, ``WHATSAPP_PROVIDER=sandbox``) queues the
mail and the WhatsApp row, and its one delivery loop writes the message under ``var/whatsapp``. The
number appears in that file (the channel) and nowhere in the logs or the outbox."""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.notifications.models import Notification
from marketplace.orders import services as orders
from tests.integration.helpers import unique, wait_for
from tests.integration.notifications.test_mail_chain import ADDRESS, notifications_worker, relay_orders
from tests.unit.catalog.factories import Catalog

pytestmark = pytest.mark.integration


def test_order_paid_to_a_sandbox_whatsapp_message_without_the_number_in_logs_or_events(
        app, api, db_session, settings, bootstrap, tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    listing = Catalog(db_session).listing(Catalog(db_session).shop(name="Batik Ciputat"), title="Kain batik tulis",
                                          price_idr=150_000)
    buyer = api.make_user("buyer")
    assert api.patch("/api/v1/me", as_=buyer, json={"phone": "0812-7777-1234"}).status_code == 200
    assert api.patch("/api/v1/me/notification-preferences", as_=buyer, json={"whatsapp": True}).status_code == 200
    assert api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing.id, "quantity": 2}).status_code == 200
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    with app.extensions["db"].transaction() as session:
        assert orders.mark_paid(session, order["id"], now=utcnow())
    topic = unique("orders")
    whatsapp_dir = tmp_path / "whatsapp"
    worker_settings = settings.with_overrides(whatsapp_provider="sandbox", whatsapp_dir=str(whatsapp_dir),
                                              public_base_url="https://pasar.test")

    with notifications_worker(app, worker_settings, bootstrap, topic):
        assert relay_orders(app, bootstrap, topic) == 2  # order.placed, order.paid
        wait_for(lambda: whatsapp_dir.is_dir() and len(list(whatsapp_dir.glob("*.json"))) == 2, 30,
                 "the two WhatsApp messages in the sandbox (how to pay, then paid)")

    files = [json.loads(p.read_text(encoding="utf-8")) for p in whatsapp_dir.glob("*.json")]
    assert sorted(f["template"] for f in files) == ["pk_order_paid", "pk_order_placed"]
    [written] = [f for f in files if f["template"] == "pk_order_paid"]
    assert (written["to"], written["template"], written["language"]) == ("+6281277771234", "pk_order_paid", "id")
    assert written["text"].startswith(f"Pembayaran pesanan #{order['id']} sebesar Rp 3")
    with app.extensions["db"].new_session() as session:
        [row] = session.scalars(select(Notification).where(Notification.channel == "whatsapp",
                                                           Notification.kind == "order_paid")).all()
        assert (row.kind, row.status, row.external_id) == ("order_paid", "sent", written["id"])
        outbox = " ".join(session.scalars(select(OutboxEvent.payload)))
    for form in ("81277771234", "0812-7777-1234"):
        assert form not in caplog.text
        assert form not in outbox
