"""The payments worker's use cases on a rolled-back session: one intent per order, none for an order
no longer pending; the cancel reaches the gateway only while the intent can still take money."""

from __future__ import annotations

from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.accounts.models import User
from marketplace.db import utcnow
from marketplace.orders import services as orders
from marketplace.payments import services
from marketplace.payments.gateways import SandboxGateway
from marketplace.payments.models import Payment
from tests.unit.payments.factories import place_order


class CountingSandbox(SandboxGateway):
    def __init__(self) -> None:
        super().__init__("k")
        self.created: list[str] = []
        self.cancelled: list[str] = []

    def create_intent(self, order, idempotency_key):  # type: ignore[no-untyped-def]
        self.created.append(idempotency_key)
        return super().create_intent(order, idempotency_key)

    def cancel_intent(self, intent_id, idempotency_key):  # type: ignore[no-untyped-def]
        self.cancelled.append(idempotency_key)
        return super().cancel_intent(intent_id, idempotency_key)


def _buyer(tx) -> User:
    user = User(email="pembeli@example.id", name="Pembeli", password_hash="x", role="buyer")
    tx.add(user)
    tx.flush()
    return user


def test_one_intent_per_order_with_the_order_key(tx):
    order, _ = place_order(tx, _buyer(tx).id)
    gateway = CountingSandbox()
    first = services.create_intent(tx, gateway, order.id, now=utcnow())
    again = services.create_intent(tx, gateway, order.id, now=utcnow())
    assert first is again and gateway.created == [f"order-{order.id}-intent"]
    assert first.amount_idr == order.total_idr and first.status == "requires_payment" and first.qr_payload
    assert tx.scalar(select(func.count()).select_from(OutboxEvent).where(OutboxEvent.type == "payment.intent_created")) == 1


def test_an_order_cancelled_before_the_worker_ran_gets_no_intent(tx):
    order, _ = place_order(tx, _buyer(tx).id)
    assert orders.cancel_unpaid(tx, order.id, "payment expired", now=utcnow(), payment_failed=False)
    gateway = CountingSandbox()
    assert services.create_intent(tx, gateway, order.id, now=utcnow()) is None
    assert gateway.created == [] and tx.scalar(select(func.count()).select_from(Payment)) == 0
    assert services.cancel_intent(tx, gateway, order.id, now=utcnow()) is False  # nothing to cancel


def test_cancel_reaches_the_gateway_until_the_intent_is_final(tx):
    order, _ = place_order(tx, _buyer(tx).id)
    gateway = CountingSandbox()
    payment = services.create_intent(tx, gateway, order.id, now=utcnow())
    payment.status = "failed"  # declined: at Stripe it could still be retried, so cancel it
    assert services.cancel_intent(tx, gateway, order.id, now=utcnow()) is True
    assert payment.status == "canceled" and gateway.cancelled == [f"order-{order.id}-intent-cancel"]
    assert services.cancel_intent(tx, gateway, order.id, now=utcnow()) is False
    assert len(gateway.cancelled) == 1
