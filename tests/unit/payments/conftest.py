from __future__ import annotations

from typing import Any

import pytest

from marketplace.db import utcnow
from marketplace.payments import services
from marketplace.payments.gateways import SandboxGateway, gateway_from_settings
from tests.unit.payments.factories import place_order
from tests.unit.payments.webhook_server import Deliverer


@pytest.fixture
def sandbox(settings) -> SandboxGateway:
    """The sandbox gateway exactly as the app builds it from the same settings (same webhook secret)."""
    gateway = gateway_from_settings(settings)
    assert isinstance(gateway, SandboxGateway)
    return gateway


@pytest.fixture
def shop_order(api, app, db_session, sandbox):
    """``shop_order(with_intent=True)`` → (buyer, order, listing): a pending order with its intent made
    as the payments worker makes it."""

    def make(*, with_intent: bool = True, buyer: Any = None, **kw: Any):
        buyer = buyer or api.make_user("buyer")
        order, listing = place_order(db_session, buyer.id, **kw)
        if with_intent:
            with app.extensions["db"].transaction() as session:
                services.create_intent(session, sandbox, order.id, now=utcnow())
        return buyer, order, listing

    return make


@pytest.fixture
def deliver(app, sandbox) -> Deliverer:
    """``deliver()``: what the payments worker's delivery loop does, once, through the test client."""
    return Deliverer(app, sandbox)

from tests.unit.ledger_books import ledger_books  # noqa: E402,F401  (the ledger check after each money test)
