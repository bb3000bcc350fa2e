"""The payouts worker's subscriptions and the scheduler's payout job, as the runner and the scheduler
call them: the handlers get the provider their ``build_dependencies`` declared."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.orders import scheduler
from marketplace.payouts.release import release_due_payouts
from marketplace.payouts.models import Payout
from marketplace.payouts.sandbox import SandboxPayoutProvider
from tests.unit.orders.test_checkout import NOW
from tests.unit.orders.test_fulfilment import paid  # noqa: F401
from tests.unit.payouts.conftest import connect
from tests.unit.payouts.test_api import _delivered, provider  # noqa: F401  (the app's sandbox, in memory)
from tests.unit.payouts.test_payouts import SARI_PAYABLE, _deliver
from workers.payouts import handlers
from workers.worker import HandlerContext


def _envelope(tx, type_):
    return json.loads(tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)
                                 .order_by(OutboxEvent.id.desc())).first())


def test_build_dependencies_gives_the_configured_provider(tmp_path):
    deps = handlers.build_dependencies(Settings(database_url=f"sqlite:///{tmp_path}/x.db"))
    assert isinstance(deps["payout_provider"], SandboxPayoutProvider)
    assert set(handlers.HANDLERS) == {"order.delivered", "payout.released", "order.refunded"}
    assert "payouts" in handlers.TOPICS and "orders" in handlers.TOPICS


def test_delivered_then_released_events_pay_the_artisan(tx, paid, sandbox_provider, books):  # noqa: F811
    _, sari_part, _, buyer, sari, *_ = paid
    connect(tx, sandbox_provider, sari)
    _deliver(tx, sari_part, buyer, sari)
    ctx = HandlerContext(session=tx, settings=Settings(payout_hold_hours=0), clock=lambda: NOW,
                         gateways={"payout_provider": sandbox_provider}, consumer="payouts")
    handlers.HANDLERS["order.delivered"](ctx, _envelope(tx, "order.delivered"))
    handlers.HANDLERS["payout.released"](ctx, _envelope(tx, "payout.released"))
    payout = tx.scalar(select(Payout).where(Payout.seller_order_id == sari_part.id))
    assert (payout.status, payout.amount_idr) == ("paid", SARI_PAYABLE)


def test_the_scheduler_releases_payouts_past_their_hold(api, app, market, provider):
    seller = market.seller()
    api.post("/api/v1/seller/payout-account", as_=seller, json={})
    _, part = _delivered(api, app, market, seller)
    from marketplace.payouts import release

    with app.extensions["db"].transaction() as session:
        release.schedule_payout(session, part["id"], hold_hours=72, now=utcnow())
    factory = app.extensions["db"].write_session_factory
    assert release_due_payouts(factory, utcnow() + timedelta(hours=1)) == 0
    assert scheduler.tick(factory, Settings(), utcnow() + timedelta(hours=73)).payouts == 1
    assert release_due_payouts(factory, utcnow() + timedelta(hours=73, minutes=1)) == 0  # once
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    assert [i["status"] for i in body["items"]] == ["processing"]
    # Nobody answered within the lease (no worker here): asked again, with the same payout (and key).
    assert release_due_payouts(factory, utcnow() + timedelta(hours=74)) == 1
    with app.extensions["db"].transaction() as session:
        released = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == "payout.released")).all()
    assert [json.loads(p)["data"]["payout_id"] for p in released] == [body["items"][0]["id"]] * 2
