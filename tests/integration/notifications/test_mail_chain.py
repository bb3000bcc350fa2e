"""The whole chain through the real broker: a buyer checks out (the real API) → ``order.placed`` in the
outbox → relay → topic → the notifications worker → its mail loop → a real SMTP server on loopback
(STARTTLS, the worker's mailer built from ``SMTP_URL``). The same event published again sends nothing
more: the inbox skips it, and the message stays one."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, update

from events.catalogue import TOPICS
from events.kafka import relay_producer_factory
from events.models import OutboxEvent
from events.relay import Relay
from marketplace.notifications.models import Notification
from tests.integration.helpers import committed_offsets, declared_worker, unique, wait_for
from tests.unit.catalog.factories import Catalog
from tests.unit.notifications.smtp_server import make_certificate, smtp_server
from workers.notifications import handlers

pytestmark = pytest.mark.integration

ADDRESS = {"recipient": "Siti Rahma", "phone": "081234567890", "line1": "Jl. Melati 3", "city": "Bandung",
           "province": "Jawa Barat", "postal_code": "40111"}


@contextmanager
def notifications_worker(app: Any, settings: Any, bootstrap: str, topic: str) -> Iterator[str]:
    """The notifications worker as declared (handlers, mailer factory, mail loop) on this test's topic;
    yields its consumer group."""
    with declared_worker(handlers, "notifications", app, settings, bootstrap, topic) as group:
        yield group


def relay_orders(app: Any, bootstrap: str, topic: str) -> int:
    database = app.extensions["db"]
    with database.transaction() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == "orders", OutboxEvent.sent_at.is_(None))
                        .values(topic=topic))
    # Every catalogue topic exists too: the other rows in the outbox are sent where they belong (see
    # tests/integration/payments/test_sandbox_flow.py).
    relay = Relay(database.write_session_factory, relay_producer_factory(bootstrap, [topic, *TOPICS]))
    try:
        return relay.publish_batch()
    finally:
        relay.close()


def count(app: Any, model: Any, *where: Any) -> int:
    with app.extensions["db"].new_session() as session:
        return session.scalar(select(func.count()).select_from(model).where(*where))


def caught_up(bootstrap: str, group: str, topic: str, total: int) -> bool:
    """The group committed past all ``total`` messages of ``topic`` (counted, as the runner tests do)."""
    return sum(o for tp, o in committed_offsets(bootstrap, group).items() if tp.topic == topic) == total


def test_checkout_to_mail_received_and_a_redelivered_event_sends_nothing_more(
        app, api, db_session, settings, bootstrap, tmp_path):
    cert = make_certificate(tmp_path)
    listing = Catalog(db_session).listing(Catalog(db_session).shop(name="Batik Ciputat"), title="Kain batik tulis",
                                          price_idr=150_000)
    buyer = api.make_user("buyer")
    assert api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing.id, "quantity": 2}).status_code == 200
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    topic = unique("orders")

    with smtp_server(cert, auth=False) as (port, inbox):
        worker_settings = settings.with_overrides(
            smtp_url=f"smtp://127.0.0.1:{port}", smtp_ca_file=str(cert[0]), public_base_url="https://pasar.test",
            mail_from="Pasar Kreatif <halo@pasar.test>")
        with notifications_worker(app, worker_settings, bootstrap, topic) as group:
            assert relay_orders(app, bootstrap, topic) == 1
            wait_for(lambda: inbox.messages, 30, "the order-placed mail at the SMTP server")
            [received] = inbox.messages
            assert inbox.envelopes == [("halo@pasar.test", [buyer.email])]
            assert received["Subject"].startswith(f"Pesanan #{order['id']} diterima: bayar sebelum ")
            assert f"https://pasar.test/orders/{order['id']}/pay" in received.get_body(("plain",)).get_content()
            assert "Rp 300.000" in received.get_body(("plain",)).get_content()

            # The same event again (a relay that crashed before marking it sent, a replay).
            with app.extensions["db"].transaction() as session:
                session.execute(update(OutboxEvent).where(OutboxEvent.type == "order.placed").values(sent_at=None))
            assert relay_orders(app, bootstrap, topic) == 1
            wait_for(lambda: caught_up(bootstrap, group, topic, 2), 30, "the worker to consume the copy")
            time.sleep(2.5)  # two rounds of the mail loop: anything it would send, it has sent

    assert len(inbox.messages) == 1
    assert count(app, Notification) == 1
    assert count(app, Notification, Notification.status == "sent") == 1
