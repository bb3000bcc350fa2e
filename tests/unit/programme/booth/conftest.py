"""Booth sale fixtures: a festival on now with a participating shop, and the payments worker's steps
(make the QRIS attempt; deliver the sandbox's callback) run in the test."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select

from marketplace.db import utcnow
from marketplace.payments import attempts
from marketplace.payments.gateways import SandboxGateway, gateway_from_settings
from marketplace.payments.models import Payment
from tests.unit.payments.webhook_server import Deliverer
from tests.unit.programme.helpers import create_event


@pytest.fixture
def sandbox(settings) -> SandboxGateway:
    gateway = gateway_from_settings(settings)
    assert isinstance(gateway, SandboxGateway)
    return gateway


@pytest.fixture
def make(app, sandbox):
    """``make()``: the payments worker's handler of every chosen attempt not made yet."""

    def run() -> int:
        made = 0
        with app.extensions["db"].transaction() as session:
            ids = list(session.scalars(select(Payment.id).where(Payment.provider_intent_id.is_(None),
                                                                Payment.method.is_not(None)).order_by(Payment.id)))
        for payment_id in ids:
            with app.extensions["db"].transaction() as session:
                if attempts.make_attempt(session, sandbox, payment_id, now=utcnow()) is not None:
                    made += 1
        return made

    return run


@pytest.fixture
def deliver(app, sandbox) -> Deliverer:
    return Deliverer(app, sandbox)


@pytest.fixture
def booth(api, market):
    """``booth(**event)`` → (artisan, event, listing): a festival on now (started an hour ago) whose
    accepted shop has one approved listing (stock 5, Rp 85.000)."""

    def make(*, kind: str = "festival", starts_in: timedelta = -timedelta(hours=1), hours: int = 6,
             accept: bool = True, **listing: Any) -> tuple[Any, dict[str, Any], dict[str, Any]]:
        artisan = market.seller()
        event = create_event(api, market.admin, kind=kind, capacity=500, starts_in=starts_in, hours=hours,
                             opens_ago=timedelta(days=3),
                             registration_closes_at=(utcnow() + starts_in + timedelta(hours=hours - 1)).isoformat())
        if accept:
            resp = api.post(f"/api/v1/admin/events/{event['id']}/shops", as_=market.admin,
                            json={"shop_id": artisan.shop_id})
            assert resp.status_code == 200, resp.json
        item = market.approved_listing(artisan, **{"price_idr": 85_000, "stock": 5, **listing})
        return artisan, event, item

    return make
