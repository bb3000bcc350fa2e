"""Payment methods end to end through the real broker, relay and payments worker (sandbox gateway):
pay by VA → the worker cancels the order's default intent and makes the VA → switch to OVO → the worker
cancels the VA first → sandbox-pay OVO → the worker's delivery loop POSTs a Xendit-format callback to the
app on loopback → paid; the VA's late transfer after the switch is given back by the worker, never
charged twice."""

from __future__ import annotations

import json
from typing import Any

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.payments.gateways import gateway_from_settings
from marketplace.payments.models import Payment
from marketplace.payments.sandbox_methods import capture_callback
from tests.integration.helpers import unique, wait_for
from tests.integration.payments.test_sandbox_flow import _read, order_status, payments_worker, relay_orders
from tests.unit.payments.factories import place_order

pytestmark = pytest.mark.integration


def attempts_of(app: Any, order_id: int) -> list[Payment]:
    return _read(app, lambda s: list(s.scalars(select(Payment).where(Payment.order_id == order_id)
                                               .order_by(Payment.id))))


def test_switching_methods_and_a_late_transfer_through_the_worker(app, api, client, db_session, settings, bootstrap):
    sandbox = gateway_from_settings(settings)  # as the app and the worker build it (the same callback token)
    topic = unique("orders")
    buyer = api.make_user("buyer")
    order, _ = place_order(db_session, buyer.id, price_idr=150_000, quantity=1)

    with payments_worker(app, settings, bootstrap, topic):
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: attempts_of(app, order.id), 30, "the default intent")
        assert api.post(f"/api/v1/orders/{order.id}/pay", as_=buyer, json={"method": "va_bca"}).status_code == 202
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: len(attempts_of(app, order.id)) == 2 and attempts_of(app, order.id)[1].action, 30, "the VA")
        default, va = attempts_of(app, order.id)
        assert default.status == "canceled" and json.loads(va.action)["type"] == "va"

        assert api.post(f"/api/v1/orders/{order.id}/pay", as_=buyer, json={"method": "ovo"}).status_code == 202
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: len(attempts_of(app, order.id)) == 3 and attempts_of(app, order.id)[2].action, 30, "OVO")
        assert attempts_of(app, order.id)[1].status == "canceled"  # cancelled at the gateway before OVO was made

        resp = api.post(f"/api/v1/orders/{order.id}/sandbox-pay", as_=buyer, json={"method": "ovo"})
        assert resp.status_code == 202
        wait_for(lambda: order_status(app, order.id) == "paid", 30, "the OVO callback delivered")

        # the buyer's bank still moves the money to the old VA: it comes back, the order is paid once
        late = attempts_of(app, order.id)[1]
        body = json.dumps(capture_callback(late, succeeds=True, now=utcnow())).encode()
        resp = client.post("/webhooks/xendit/payments", data=body, headers={"x-callback-token": sandbox.callback_token})
        assert resp.json["outcome"] == "returned"
        relay_orders(app, bootstrap, topic)
        wait_for(lambda: attempts_of(app, order.id)[1].return_status == "succeeded", 30, "the late transfer returned")

    types = _read(app, lambda s: list(s.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order.id)))))
    assert types.count("order.paid") == 1 and types.count("order.late_payment_received") == 1
