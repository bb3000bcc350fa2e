"""The sandbox path end to end through the real broker, relay and payments worker:
order.placed → intent → sandbox-pay (202 processing) → the worker's delivery loop POSTs the signed
webhook to the app, served on loopback → paid; decline → cancelled, restocked, intent cancelled; a
redelivered (or repeated) order.placed makes no second intent."""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from sqlalchemy import func, select, update

from events.catalogue import TOPICS
from events.kafka import make_producer, relay_producer_factory
from events.models import OutboxEvent, ProcessedEvent
from events.outbox import record
from events.relay import Relay
from marketplace.listings.models import Listing
from marketplace.orders.models import Order
from marketplace.payments.models import Payment
from tests.integration.helpers import FAST_RUNNER, unique, wait_for
from tests.unit.payments.factories import place_order
from tests.unit.payments.webhook_server import serve
from workers.payments import handlers
from workers.runner import ConsumerRunner
from workers.worker import Worker
from tests.threads import in_thread

pytestmark = pytest.mark.integration


@contextmanager
def payments_worker(app: Any, settings: Any, bootstrap: str, topic: str) -> Iterator[None]:
    """The payments worker as declared (its handlers, gateway factory and the sandbox's webhook
    delivery), on this test's own topic; the app is served on loopback as PUBLIC_BASE_URL, so the
    worker's deliveries reach its real ``/webhooks/stripe``."""
    worker = Worker(name=unique("payments"), topics=(topic,), handlers=handlers.HANDLERS,
                    build_dependencies=handlers.build_dependencies, background_tasks=handlers.background_tasks)
    with serve(app) as base_url:
        runner = ConsumerRunner(worker, settings=settings.with_overrides(public_base_url=base_url),
                                bootstrap_servers=bootstrap,
                                session_factory=app.extensions["db"].write_session_factory, options=FAST_RUNNER)
        with in_thread(runner.run, what="the payments worker"):
            yield


def order_status(app: Any, order_id: int) -> str:
    return _read(app, lambda s: s.get(Order, order_id).status)


def pay(api: Any, buyer: Any, order_id: int, body: dict[str, Any]) -> None:
    """``sandbox-pay``: 202 processing, the order still pending (the webhook comes later)."""
    resp = api.post(f"/api/v1/orders/{order_id}/sandbox-pay", as_=buyer, json=body)
    assert resp.status_code == 202 and resp.json["outcome"] == "processing", resp.json


def relay_orders(app: Any, bootstrap: str, topic: str) -> int:
    """Publish the outbox, the ``orders`` events onto this test's topic (isolation on the shared broker)."""
    database = app.extensions["db"]
    with database.transaction() as session:
        session.execute(update(OutboxEvent).where(OutboxEvent.topic == "orders", OutboxEvent.sent_at.is_(None))
                        .values(topic=topic))
    # Every catalogue topic exists before the relay sends: the outbox also holds the other rows the test
    # made (the listing events of an API-made listing), and on a worker's fresh broker no earlier test
    # created their topics (a send to a missing topic waits for metadata until it fails).
    relay = Relay(database.write_session_factory, relay_producer_factory(bootstrap, [topic, *TOPICS]))
    try:
        return relay.publish_batch()
    finally:
        relay.close()


def _read(app: Any, fn: Any) -> Any:
    with app.extensions["db"].new_session() as session:
        return fn(session)


def payment(app: Any, order_id: int) -> Payment | None:
    return _read(app, lambda s: s.scalar(select(Payment).where(Payment.order_id == order_id)))


def count(app: Any, model: Any, *where: Any) -> int:
    return _read(app, lambda s: s.scalar(select(func.count()).select_from(model).where(*where)))


def test_order_to_intent_to_paid_and_decline_to_cancelled(app, api, db_session, settings, bootstrap):
    topic = unique("orders")
    buyer = api.make_user("buyer")
    paid_order, _ = place_order(db_session, buyer.id, price_idr=100_000, quantity=1)
    declined_order, listing = place_order(db_session, buyer.id, price_idr=80_000, quantity=2, stock=5)

    with payments_worker(app, settings, bootstrap, topic):
        assert relay_orders(app, bootstrap, topic) == 2
        wait_for(lambda: payment(app, paid_order.id) and payment(app, declined_order.id), 30, "both intents")
        assert count(app, OutboxEvent, OutboxEvent.type == "payment.intent_created") == 2

        pay(api, buyer, paid_order.id, {"method": "qris"})
        pay(api, buyer, declined_order.id, {"card_number": "4000000000000002"})
        wait_for(lambda: order_status(app, paid_order.id) == "paid", 30, "the success webhook delivered")
        wait_for(lambda: order_status(app, declined_order.id) == "cancelled", 30, "the decline webhook delivered")

        # order.cancelled reaches the worker, which cancels the declined intent at the gateway.
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: payment(app, declined_order.id).status == "canceled", 30, "the intent cancelled")

    assert _read(app, lambda s: s.get(Order, paid_order.id).status) == "paid"
    assert payment(app, paid_order.id).status == "succeeded"
    assert _read(app, lambda s: (s.get(Order, declined_order.id).status, s.get(Listing, listing.id).stock)) == ("cancelled", 5)
    types = _read(app, lambda s: list(s.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(declined_order.id))
                                                .order_by(OutboxEvent.id))))
    assert types == ["order.placed", "payment.intent_created", "order.payment_failed", "order.cancelled", "payment.failed"]


def test_a_redelivered_or_repeated_order_placed_makes_no_second_intent(app, api, db_session, settings, bootstrap):
    topic = unique("orders")
    buyer = api.make_user("buyer")
    order, _ = place_order(db_session, buyer.id)

    with payments_worker(app, settings, bootstrap, topic):
        relay_orders(app, bootstrap, topic)
        first = wait_for(lambda: payment(app, order.id), 30, "the intent")
        placed = _read(app, lambda s: s.scalar(select(OutboxEvent).where(OutboxEvent.type == "order.placed",
                                                                          OutboxEvent.key == str(order.id))))
        producer = make_producer(bootstrap)
        try:  # the same event again (a relay re-send or a replay): the inbox skips it
            producer.send(topic, key=str(order.id).encode(), value=placed.payload.encode()).get(timeout=10)
        finally:
            producer.close()
        with app.extensions["db"].transaction() as session:  # a second event for the same order: the row stops it
            data = json.loads(placed.payload)["data"]
            record(session, "order.placed", key=order.id, data=data)
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: count(app, OutboxEvent, OutboxEvent.type == "order.placed", OutboxEvent.sent_at.is_not(None)) == 2,
                 15, "the repeat published")
        wait_for(lambda: count(app, ProcessedEvent) == 2, 30, "both order.placed events handled")

    assert count(app, Payment, Payment.order_id == order.id) == 1
    assert payment(app, order.id).provider_intent_id == first.provider_intent_id
    assert count(app, OutboxEvent, OutboxEvent.type == "payment.intent_created") == 1
