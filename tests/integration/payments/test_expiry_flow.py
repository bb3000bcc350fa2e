"""An order nobody pays, end to end through the real broker: checkout (API) → order.placed → the
payments worker makes the intent → the payment deadline passes → the scheduler cancels the order and
returns the stock → order.cancelled → the worker cancels the intent at the gateway."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.db import utcnow
from marketplace.orders import scheduler
from tests.integration.helpers import unique, wait_for
from tests.integration.payments.test_sandbox_flow import payment, payments_worker, relay_orders
from tests.unit.listings.helpers import Market
from tests.unit.orders.test_api import ADDRESS

pytestmark = pytest.mark.integration


def test_an_unpaid_order_expires_restocks_and_its_intent_is_cancelled(app, api, db_session, settings, bootstrap):
    topic = unique("orders")
    market = Market(api, db_session)
    listing = market.approved_listing(market.seller(), stock=3)
    buyer = api.make_user("buyer")
    api.post("/api/v1/cart/items", as_=buyer, json={"listing_id": listing["id"], "quantity": 3})
    order = api.post("/api/v1/checkout", as_=buyer, json={"shipping_address": ADDRESS}).json
    assert api.get(f"/api/v1/listings/{listing['id']}").json["stock"] == 0

    with payments_worker(app, settings, bootstrap, topic):
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: payment(app, order["id"]), 30, "the intent")
        factory = app.extensions["db"].write_session_factory
        assert scheduler.tick(factory, settings).expired == 0  # not due yet
        later = utcnow() + timedelta(minutes=settings.order_payment_ttl_minutes + 1)
        assert scheduler.tick(factory, settings, now=later).expired == 1
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: payment(app, order["id"]).status == "canceled", 30, "the intent cancelled")

    shown = api.get(f"/api/v1/orders/{order['id']}", as_=buyer).json
    assert (shown["status"], shown["cancel_reason"], shown["payment"]["status"]) == ("cancelled", "payment expired", "canceled")
    assert api.get(f"/api/v1/listings/{listing['id']}").json["stock"] == 3
    resp = api.post(f"/api/v1/orders/{order['id']}/sandbox-pay", as_=buyer, json={"method": "qris"})
    assert resp.status_code == 409  # too late to pay: nothing changes
    timeline = [e["type"] for e in api.get(f"/api/v1/orders/{order['id']}/events", as_=buyer).json["items"]]
    assert timeline == ["order.placed", "order.cancelled"]
