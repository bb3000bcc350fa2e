"""The sandbox's webhook delivery (``marketplace.payments.delivery``): what ``sandbox-pay`` queues reaches
``POST /webhooks/stripe`` over real HTTP (the app served on loopback), signed at send time; a failing
endpoint is retried later; a rolled-back pay sends nothing; a replay is a no-op; the payments worker's
loop delivers by itself and stops with its stop event."""

from __future__ import annotations

import json
import socket
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.accounts.models import User
from marketplace.config import Settings
from marketplace.db import transaction, utcnow
from marketplace.listings.models import Listing
from marketplace.orders.models import Order
from marketplace.payments import delivery, services
from marketplace.payments.gateways import StripeGateway
from marketplace.payments.stripe_events import SIGNATURE_HEADER
from marketplace.payments.models import ProcessedWebhook, SandboxWebhookDelivery
from tests.unit.payments.webhook_server import client_poster, serve
from workers.payments import handlers
from tests.threads import in_thread

CARD_OK, CARD_DECLINED = "4242424242424242", "4000000000000002"


def _fresh(db_session):
    db_session.rollback()
    db_session.expire_all()


def _order(db_session, order_id: int) -> Order:
    _fresh(db_session)
    return db_session.get(Order, order_id)


def _rows(db_session) -> list[SandboxWebhookDelivery]:
    _fresh(db_session)
    return list(db_session.scalars(select(SandboxWebhookDelivery).order_by(SandboxWebhookDelivery.id)))


def _count(db_session, model, *where) -> int:
    _fresh(db_session)
    return db_session.scalar(select(func.count()).select_from(model).where(*where))


def _pay(api, buyer, order_id: int, body: dict) -> None:
    resp = api.post(f"/api/v1/orders/{order_id}/sandbox-pay", as_=buyer, json=body)
    assert resp.status_code == 202 and resp.json["outcome"] == "processing", resp.json


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def _refused_url() -> str:
    """A loopback URL where nothing listens (connection refused)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}/webhooks/stripe"


def test_over_real_http_a_good_card_pays_and_a_declined_one_cancels_and_restocks(app, api, db_session, shop_order,
                                                                                  deliver):
    buyer, paid, _ = shop_order()
    _, declined, listing = shop_order(buyer=buyer, quantity=2, stock=5)
    _pay(api, buyer, paid.id, {"card_number": CARD_OK})
    _pay(api, buyer, declined.id, {"card_number": CARD_DECLINED})
    assert (_order(db_session, paid.id).status, _order(db_session, declined.id).status) == ("pending_payment",) * 2

    with serve(app) as base_url:
        assert deliver(http_post=delivery.post_over_http, url=base_url + "/webhooks/stripe") == 2

    assert _order(db_session, paid.id).status == "paid"
    assert (_order(db_session, declined.id).status, db_session.get(Listing, listing.id).stock) == ("cancelled", 5)
    rows = _rows(db_session)
    assert [(r.event_type, r.attempts, r.next_attempt_at, r.last_error) for r in rows] == [
        ("payment_intent.succeeded", 1, None, None), ("payment_intent.payment_failed", 1, None, None)]
    assert all(r.delivered_at is not None for r in rows)
    assert _count(db_session, ProcessedWebhook) == 2  # the endpoint recorded both event ids
    assert deliver() == 0  # nothing left to send


def test_a_failing_endpoint_is_retried_later_with_a_fresh_signature_then_delivered(app, api, db_session, shop_order,
                                                                                   deliver):
    buyer, order, _ = shop_order()
    _pay(api, buyer, order.id, {"method": "qris"})
    now = utcnow()

    assert deliver(now, http_post=delivery.post_over_http, url=_refused_url()) == 0  # connection refused
    [row] = _rows(db_session)
    assert row.attempts == 1 and row.delivered_at is None and "refused" in row.last_error.lower()
    assert row.next_attempt_at == now + timedelta(seconds=1)
    assert deliver(now) == 0 and _rows(db_session)[0].attempts == 1  # not due again yet

    sent: list[dict[str, str]] = []

    def server_error(url, body, headers):
        sent.append(dict(headers))
        return 500, "Internal Server Error"

    assert deliver(now + timedelta(seconds=1), http_post=server_error) == 0
    [row] = _rows(db_session)
    assert (row.attempts, row.last_error) == (2, "HTTP 500: Internal Server Error")
    assert row.next_attempt_at == now + timedelta(seconds=1 + 2)  # backing off: 1 s, then 2 s
    assert _order(db_session, order.id).status == "pending_payment"

    later = now + timedelta(hours=1)  # long after the event was made: Stripe signs at send time
    with serve(app) as base_url:
        assert deliver(later, http_post=delivery.post_over_http, url=base_url + "/webhooks/stripe") == 1
    assert abs(int(sent[0][SIGNATURE_HEADER].split(",")[0].removeprefix("t=")) - time.time()) < 60
    [row] = _rows(db_session)
    assert (row.attempts, row.delivered_at, row.next_attempt_at, row.last_error) == (3, later, None, None)
    assert _order(db_session, order.id).status == "paid"


def test_a_rejected_delivery_is_retried_too(app, api, db_session, shop_order, sandbox, deliver):
    """A 400 (here: a sender with the wrong secret) is not a delivery: Stripe retries any non-2xx."""
    buyer, order, _ = shop_order()
    _pay(api, buyer, order.id, {"method": "qris"})
    impostor = type(sandbox)("another-secret-key")
    wrong = delivery.deliver_due(app.extensions["db"].write_session_factory, deliver.poster, utcnow(),
                                 gateway=impostor, url="http://localhost/webhooks/stripe")
    assert wrong == 0
    [row] = _rows(db_session)
    assert row.last_error.startswith("HTTP 400") and "invalid_signature" in row.last_error
    assert deliver(utcnow() + timedelta(seconds=5)) == 1 and _order(db_session, order.id).status == "paid"


def test_nothing_is_delivered_for_a_rolled_back_pay(app, api, db_session, shop_order, sandbox, deliver):
    buyer, order, _ = shop_order()
    session = app.extensions["db"].write_session_factory()
    try:
        services.sandbox_pay(session, sandbox, session.get(User, buyer.id), order.id, method="qris", now=utcnow())
        assert session.scalar(select(func.count()).select_from(SandboxWebhookDelivery)) == 1  # queued...
        session.rollback()  # ...and the request failed after it
    finally:
        session.close()
    assert _rows(db_session) == [] and deliver() == 0
    assert _order(db_session, order.id).status == "pending_payment"
    _pay(api, buyer, order.id, {"method": "qris"})  # and the buyer may pay again
    assert deliver() == 1


def test_a_replayed_delivery_is_a_no_op(app, api, db_session, shop_order, deliver):
    """A sender that died after the POST and before recording it sends again: the endpoint's
    ``processed_webhooks`` makes the second copy a 200 with no effect."""
    buyer, order, _ = shop_order()
    _pay(api, buyer, order.id, {"method": "qris"})
    assert deliver() == 1
    types = list(db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order.id))))
    [row] = _rows(db_session)
    row.next_attempt_at, row.delivered_at = utcnow(), None  # as if the first send was never recorded
    db_session.commit()

    answers: list[tuple[int, str]] = []

    def recording(url, body, headers):
        answers.append(deliver.poster(url, body, headers))
        return answers[-1]

    assert deliver(http_post=recording) == 1
    assert answers[0][0] == 200 and '"outcome":"duplicate"' in answers[0][1].replace(" ", "")
    _fresh(db_session)
    assert list(db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order.id)))) == types
    assert _order(db_session, order.id).status == "paid" and _count(db_session, ProcessedWebhook) == 1


def test_a_claimed_row_is_leased_so_a_second_sender_does_not_take_it(app, api, db_session, shop_order):
    buyer, order, _ = shop_order()
    _pay(api, buyer, order.id, {"method": "qris"})
    factory, now = app.extensions["db"].write_session_factory, utcnow()

    def claim(at):  # what a loop does first: claim the next due row and lease it; its attempt number
        webhooks = delivery.queue()
        with transaction(factory) as session:
            rows = webhooks.claim(session, at)
            return webhooks.take(rows[0], at) if rows else None

    first = claim(now)
    assert first is not None and first == 1
    assert claim(now) is None  # another loop, at the same moment: nothing due
    assert claim(now + delivery.LEASE) is not None  # the first sender died: it goes again


def test_two_senders_at_once_send_each_webhook_once(app, api, db_session, shop_order, sandbox):
    buyer, first, _ = shop_order()
    orders = [first] + [shop_order(buyer=buyer)[1] for _ in range(3)]
    for order in orders:
        _pay(api, buyer, order.id, {"method": "qris"})
    sent: list[str] = []
    lock = threading.Lock()

    def sender() -> None:
        forward = client_poster(app.test_client())  # one client per thread

        def post(url, body, headers):
            with lock:
                sent.append(json.loads(body)["id"])
            time.sleep(0.02)  # slow enough for the other sender to look for work meanwhile
            return forward(url, body, headers)

        delivery.deliver_due(app.extensions["db"].write_session_factory, post, utcnow(), gateway=sandbox,
                             url="http://localhost/webhooks/stripe")

    threads = [threading.Thread(target=sender) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(sent) == sorted({r.event_id for r in _rows(db_session)}) and len(sent) == len(orders)
    assert {_order(db_session, o.id).status for o in orders} == {"paid"}


def test_the_workers_loop_delivers_by_itself_and_stops_with_its_stop_event(app, api, db_session, shop_order,
                                                                           settings):
    buyer, order, _ = shop_order()
    with serve(app) as base_url:
        worker_settings = settings.with_overrides(public_base_url=base_url)
        [loop] = handlers.background_tasks(worker_settings, handlers.build_dependencies(worker_settings))
        assert loop.url == base_url + "/webhooks/stripe"
        loop.poll_interval = 0.05
        with in_thread(loop, app.extensions["db"].write_session_factory, what="the delivery loop", timeout=10):
            _pay(api, buyer, order.id, {"method": "qris"})
            _wait_for(lambda: _order(db_session, order.id).status == "paid", 10, "the order paid by the loop")


def test_on_postgresql_the_loop_is_woken_by_the_pays_commit_not_by_its_poll(app, api, db_session, shop_order,
                                                                           settings):
    if db_session.get_bind().dialect.name == "sqlite":
        pytest.skip("SQLite has no LISTEN/NOTIFY: the loop polls there")
    buyer, order, _ = shop_order()
    with serve(app) as base_url:
        worker_settings = settings.with_overrides(public_base_url=base_url)
        [loop] = handlers.background_tasks(worker_settings, handlers.build_dependencies(worker_settings))
        loop.poll_interval = 60  # far longer than the wait below: only the notification can wake it
        with in_thread(loop, app.extensions["db"].write_session_factory, what="the delivery loop", timeout=10):
            assert loop.ready.wait(10)
            time.sleep(0.2)  # let its first (empty) claim pass: it is now waiting out its 60 s
            _pay(api, buyer, order.id, {"method": "qris"})
            _wait_for(lambda: _order(db_session, order.id).status == "paid", 10, "the order paid on the pay's commit")
    assert _count(db_session, SandboxWebhookDelivery, SandboxWebhookDelivery.delivered_at.is_not(None)) == 1


def test_the_loop_runs_only_on_the_sandbox_and_only_with_a_shared_secret(settings):
    stripe = {handlers.GATEWAY: StripeGateway("sk_test_x", "whsec_x", ["card"], api_base="http://127.0.0.1:9")}
    assert handlers.background_tasks(settings, stripe) == []
    alone = Settings(secret_key="")  # a random per-process secret: the web app could not verify it
    with pytest.raises(ValueError, match="SECRET_KEY"):
        handlers.background_tasks(alone, handlers.build_dependencies(alone))
    custom = settings.with_overrides(sandbox_webhook_url="http://web:8000/webhooks/stripe")
    [loop] = handlers.background_tasks(custom, handlers.build_dependencies(custom))
    assert loop.url == "http://web:8000/webhooks/stripe"
