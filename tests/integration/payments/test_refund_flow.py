"""Refunds end to end through the real broker, relay and payments worker on the sandbox: a paid order,
an admin's refund (``refund_pending``), the worker sends it and queues the sandbox's
``charge.refunded``, its delivery loop POSTs that to the app's ``/webhooks/stripe`` (served on
loopback), the order is ``refunded`` with ``order.refunded`` in the outbox and on its timeline; and an
artisan's cancel before shipping refunds that part."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.listings.models import Listing
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.orders.models import Order
from marketplace.payments.models import Refund
from tests.integration.helpers import unique, wait_for
from tests.integration.payments.test_sandbox_flow import (
    _read,
    count,
    order_status,
    pay,
    payment,
    payments_worker,
    relay_orders,
)
from tests.unit.payments.factories import place_order

pytestmark = pytest.mark.integration


def _refunds(app, order_id: int) -> list[Refund]:
    return _read(app, lambda s: list(s.scalars(select(Refund).where(Refund.order_id == order_id).order_by(Refund.id))))


def _types(app, order_id: int) -> list[str]:
    return _read(app, lambda s: list(s.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order_id))
                                                .order_by(OutboxEvent.id))))


def _timeline(api, buyer, order_id: int) -> list[str]:
    """The buyer's timeline (the relay here moves sent rows to the test's own topic, so it shows the
    events recorded since the last relay)."""
    resp = api.get(f"/api/v1/orders/{order_id}/events", as_=buyer)
    assert resp.status_code == 200
    return [item["type"] for item in resp.json["items"]]


def test_admin_refund_and_artisan_cancel_through_the_worker(app, api, db_session, settings, bootstrap):
    topic = unique("orders")
    buyer, admin = api.make_user("buyer"), api.make_user("admin")
    refunded_order, _ = place_order(db_session, buyer.id, price_idr=100_000, quantity=1)
    cancelled_order, listing = place_order(db_session, buyer.id, price_idr=80_000, quantity=2, stock=5)
    artisan_id = listing.shop.owner_id

    with payments_worker(app, settings, bootstrap, topic):
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: payment(app, refunded_order.id) and payment(app, cancelled_order.id), 30, "both intents")
        for order in (refunded_order, cancelled_order):
            pay(api, buyer, order.id, {"method": "qris"})
        wait_for(lambda: all(order_status(app, o.id) == "paid" for o in (refunded_order, cancelled_order)), 30,
                 "both payments delivered")

        resp = api.post(f"/api/v1/admin/orders/{refunded_order.id}/refund", as_=admin, json={"reason": "Pembeli batal"})
        assert resp.status_code == 200 and resp.json["status"] == "refund_pending"
        assert _timeline(api, buyer, refunded_order.id)[-1] == "order.refund_requested"

        # The artisan cancels their part before shipping: the stock goes back and that part is refunded.
        with app.extensions["db"].transaction() as session:
            part_id = session.get(Order, cancelled_order.id).seller_orders[0].id
            fulfilment.cancel_part(session, session.get(User, artisan_id), part_id, reason="Stok rusak", now=utcnow())

        relay_orders(app, bootstrap, topic)
        wait_for(lambda: all(r.status == "succeeded" for o in (refunded_order, cancelled_order)
                             for r in _refunds(app, o.id)) and len(_refunds(app, cancelled_order.id)) == 1,
                 30, "both refunds confirmed")

    [whole] = _refunds(app, refunded_order.id)
    assert whole.provider_refund_id.startswith("re_sbx_") and whole.amount_idr == refunded_order.total_idr
    assert whole.seller_order_id is None and whole.requested_by == admin.id
    assert _read(app, lambda s: s.get(Order, refunded_order.id).status) == "refunded"
    types = _types(app, refunded_order.id)
    assert types[-4:] == ["order.cancelled", "order.refund_requested", "order.refunded", "payment.refunded"]
    assert _timeline(api, buyer, refunded_order.id)[-1] == "order.refunded"

    [part] = _refunds(app, cancelled_order.id)
    assert part.seller_order_id == part_id and part.amount_idr == cancelled_order.total_idr
    assert _read(app, lambda s: (s.get(Order, cancelled_order.id).status, s.get(Listing, listing.id).stock)) \
        == ("refunded", 5)  # its only part: everything paid came back
    assert count(app, OutboxEvent, OutboxEvent.type == "order.refunded") == 2
