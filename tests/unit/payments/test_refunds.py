"""Refund use cases, called directly in a rolled-back transaction (``tx``): asked for by an admin (whole
order or one seller order) or by an artisan's cancel, sent by the payments worker (sandbox, and Stripe
through the real library on loopback), confirmed by the gateway's webhook. The sandbox queues its
confirmation; :func:`_deliver_queued` hands the queued bytes, signed, to the webhook handler as the
delivery loop's POST would (the loop itself is tested over HTTP in test_delivery.py)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.config import Settings
from marketplace.errors import Conflict, ValidationFailed
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.payments import refunds, services
from marketplace.payments.gateways import SandboxGateway, StripeGateway, gateway_from_settings
from marketplace.payments.models import Payment, Refund, SandboxWebhookDelivery
from tests import factories
from marketplace.cart import services as cart
from tests.unit.orders.test_checkout import NOW, checkout
from tests.unit.orders.test_fulfilment import paid  # noqa: F401  (the fixture: a paid order of two shops)
from tests.unit.payments import stripe_server


def _events(tx, type_: str) -> list[dict[str, Any]]:
    return [json.loads(p)["data"] for p in tx.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)
                                                       .order_by(OutboxEvent.id))]


def _types(tx, order_id: int) -> list[str]:
    return list(tx.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order_id)).order_by(OutboxEvent.id)))


class CountingGateway(SandboxGateway):
    """The sandbox, counting its refund calls (a redelivery must not make a second one)."""

    def __init__(self) -> None:
        super().__init__("test-secret")
        self.calls: list[tuple[str, int, str]] = []

    def refund(self, intent_id: str, amount_idr: int, idempotency_key: str, metadata: Any = None) -> Any:
        self.calls.append((intent_id, amount_idr, idempotency_key))
        return super().refund(intent_id, amount_idr, idempotency_key, metadata)


def _deliver_queued(tx, gateway: SandboxGateway) -> list[str]:
    """What the endpoint answers to each webhook the sandbox still owes (then marked delivered)."""
    outcomes = []
    due = select(SandboxWebhookDelivery).where(SandboxWebhookDelivery.next_attempt_at.is_not(None))
    for row in tx.scalars(due.order_by(SandboxWebhookDelivery.id)).all():
        payload = row.payload.encode()
        outcomes.append(services.handle_webhook(tx, gateway, payload, gateway.sign(payload, int(time.time())), now=NOW))
        row.next_attempt_at, row.delivered_at = None, NOW
    tx.flush()
    return outcomes


@pytest.fixture
def sandbox() -> CountingGateway:
    return CountingGateway()


@pytest.fixture
def admin(tx):
    return factories.user(tx, "admin")


def _captured(tx, order, intent_id: str = "") -> Payment:
    payment = Payment(order_id=order.id, gateway="sandbox", provider_intent_id=intent_id or f"pi_sbx_{order.id}x",
                      client_secret="secret", status="succeeded", amount_idr=order.total_idr)
    tx.add(payment)
    tx.flush()
    return payment


def test_a_whole_refund_cancels_the_unshipped_parts_and_completes_through_the_sandbox(tx, paid, admin, sandbox):  # noqa: F811
    order, first, second, _, sari, _, mug = paid
    payment = _captured(tx, order)
    fulfilment.ship(tx, sari, first.id, courier="JNE", tracking_number="JNE-0001", now=NOW)
    stock_before = mug.stock

    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=None, reason="Pembeli minta batal", now=NOW)
    assert refunds.present(refund) == {"refund_id": refund.id, "order_id": order.id, "seller_order_id": None,
                                       "amount_idr": order.total_idr, "status": "refund_pending"}
    assert (first.status, second.status) == ("shipped", "cancelled")  # the parcel on its way stays so
    tx.refresh(mug)
    assert mug.stock == stock_before + 2  # the unshipped part's stock is back
    assert _events(tx, "order.refund_requested") == [{"order_id": order.id, "refund_id": refund.id,
                                                      "seller_order_id": None, "amount_idr": order.total_idr,
                                                      "reason": "Pembeli minta batal"}]
    assert order.status == "paid"  # nothing moved yet

    refunds.send_refund(tx, sandbox, refund.id, now=NOW)
    assert sandbox.calls == [(payment.provider_intent_id, order.total_idr, f"refund-{refund.id}")]
    assert refund.status == "pending" and refund.provider_refund_id.startswith("re_sbx_")  # sent, not confirmed
    assert order.status == "paid" and _events(tx, "order.refunded") == []
    [queued] = tx.scalars(select(SandboxWebhookDelivery)).all()
    assert (queued.event_type, queued.order_id) == ("charge.refunded", order.id)

    assert _deliver_queued(tx, sandbox) == ["refunded"]
    assert refund.status == "succeeded" and order.status == "refunded"
    assert _events(tx, "order.refunded") == [{"order_id": order.id, "amount_idr": order.total_idr,
                                              "reason": "Pembeli minta batal", "refund_id": refund.id,
                                              "seller_order_id": None}]
    assert _events(tx, "payment.refunded")[0]["provider_ref"] == refund.provider_refund_id
    assert _types(tx, order.id)[-4:] == ["order.cancelled", "order.refund_requested", "order.refunded",
                                         "payment.refunded"]

    refunds.send_refund(tx, sandbox, refund.id, now=NOW)  # the event redelivered: nothing sent again
    assert len(sandbox.calls) == 1 and _deliver_queued(tx, sandbox) == []
    assert len(_events(tx, "order.refunded")) == 1


def test_one_seller_order_then_the_artisans_cancel_refund_everything(tx, paid, admin, sandbox):  # noqa: F811
    order, first, second, _, _, budi, _ = paid
    _captured(tx, order)
    part = refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Rusak", now=NOW)
    assert part.amount_idr == first.subtotal_idr + first.shipping_idr and first.status == "cancelled"
    assert second.status == "awaiting_shipment"
    refunds.send_refund(tx, sandbox, part.id, now=NOW)
    assert _deliver_queued(tx, sandbox) == ["refunded"]
    assert part.status == "succeeded" and order.status == "paid"  # half of it is still owed to budi's parcel

    fulfilment.cancel_part(tx, budi, second.id, reason="Stok habis di gudang", now=NOW)
    [theirs] = [r for r in refunds.live_refunds(tx, order.id) if r.seller_order_id == second.id]
    assert theirs.status == "pending" and theirs.requested_by == budi.id
    assert theirs.amount_idr == second.subtotal_idr + second.shipping_idr
    refunds.send_refund(tx, sandbox, theirs.id, now=NOW)
    assert _deliver_queued(tx, sandbox) == ["refunded"]
    assert order.status == "refunded"
    assert [e["amount_idr"] for e in _events(tx, "order.refunded")] == [part.amount_idr, theirs.amount_idr]
    assert sum(e["amount_idr"] for e in _events(tx, "order.refunded")) == order.total_idr


def test_twice_or_whole_beside_part_is_409_and_changes_nothing(tx, paid, admin):  # noqa: F811
    order, first, second, *_ = paid
    refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Rusak", now=NOW)
    before = _types(tx, order.id)
    for seller_order_id in (first.id, None):
        with pytest.raises(Conflict) as err:
            refunds.request_refund(tx, admin, order.id, seller_order_id=seller_order_id, reason="Lagi", now=NOW)
        assert err.value.code == "already_refunded"
    assert _types(tx, order.id) == before and len(refunds.live_refunds(tx, order.id)) == 1


def test_a_part_after_a_whole_refund_is_409(tx, paid, admin):  # noqa: F811
    order, first, *_ = paid
    refunds.request_refund(tx, admin, order.id, seller_order_id=None, reason="Semua", now=NOW)
    with pytest.raises(Conflict):
        refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Lagi", now=NOW)


def test_an_unpaid_order_is_409_and_a_part_of_another_order_422(tx, paid, admin):  # noqa: F811
    order, first, _, buyer, *_ = paid

    listing = factories.listing(tx, factories.shop(tx).owner, status="approved", stock=3)
    cart.add_item(tx, buyer, listing.id, 1)
    unpaid = checkout(tx, buyer)
    with pytest.raises(Conflict) as err:
        refunds.request_refund(tx, admin, unpaid.id, seller_order_id=None, reason="Belum bayar", now=NOW)
    assert err.value.code == "not_paid"
    with pytest.raises(ValidationFailed) as err:
        refunds.request_refund(tx, admin, order.id, seller_order_id=unpaid.seller_orders[0].id, reason="Salah", now=NOW)
    assert list(err.value.fields) == ["seller_order_id"]
    assert first.status == "awaiting_shipment"
    assert tx.scalars(select(Refund)).all() == []


def test_a_failed_refund_can_be_asked_for_again(tx, paid, admin):  # noqa: F811
    order, first, *_ = paid
    payment = _captured(tx, order)
    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Rusak", now=NOW)
    refund.provider_refund_id = "re_failed_1"
    tx.flush()
    event = {"id": "evt_refund_failed", "type": "refund.failed", "data": {"object": {
        "id": "re_failed_1", "object": "refund", "status": "failed", "failure_reason": "expired_or_canceled_card",
        "payment_intent": payment.provider_intent_id, "amount": refund.amount_idr * 100}}}
    assert services.apply_event(tx, event, now=NOW) == "refund_failed"
    assert (refund.status, refund.failure_reason) == ("failed", "expired_or_canceled_card")
    again = refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Coba lagi", now=NOW)
    assert again.id != refund.id and again.status == "pending"


# --- the Stripe path: the real library against the loopback server ------------------------------------


@pytest.fixture
def stub() -> Iterator[stripe_server.StripeStub]:
    holder: list[stripe_server.StripeStub] = []
    server, stub = stripe_server.start(holder)
    yield stub
    server.shutdown()
    server.server_close()


def test_stripe_refund_sends_hundredths_our_key_and_the_intent_once(tx, paid, admin, stub):  # noqa: F811
    order, first, *_ = paid
    gateway = gateway_from_settings(Settings(payment_gateway="stripe", stripe_api_key="sk_test_loopback",
                                             stripe_webhook_secret="whsec_loopback", stripe_api_base=stub.url))
    assert isinstance(gateway, StripeGateway)
    intent = gateway.create_intent(order, f"order-{order.id}-intent")
    payment = _captured(tx, order, intent.intent_id)
    refund = refunds.request_refund(tx, admin, order.id, seller_order_id=first.id, reason="Rusak", now=NOW)

    refunds.send_refund(tx, gateway, refund.id, now=NOW)
    refunds.send_refund(tx, gateway, refund.id, now=NOW)  # redelivered: the row has the refund id
    [sent] = [r for r in stub.requests if r.path == "/v1/refunds"]
    assert sent.headers["Idempotency-Key"] == f"refund-{refund.id}"
    assert sent.form["payment_intent"] == intent.intent_id
    assert sent.form["amount"] == str((first.subtotal_idr + first.shipping_idr) * 100)  # IDR in hundredths
    assert sent.form["metadata[refund_id]"] == str(refund.id) and sent.form["metadata[order_id]"] == str(order.id)
    assert refund.provider_refund_id.startswith("re_") and refund.status == "pending"  # Stripe confirms by webhook
    assert tx.scalars(select(SandboxWebhookDelivery)).all() == []  # and only the sandbox queues its own

    # Stripe's charge.refunded of newer API versions has no refunds list: the cumulative amount says it.
    charge = {"id": "ch_1", "object": "charge", "payment_intent": payment.provider_intent_id,
              "amount": order.total_idr * 100, "amount_refunded": refund.amount_idr * 100, "refunded": False}
    event = {"id": "evt_charge_refunded_1", "type": "charge.refunded", "data": {"object": charge}}
    assert services.apply_event(tx, event, now=NOW) == "refunded"
    assert refund.status == "succeeded" and order.status == "paid"
    assert services.apply_event(tx, event, now=NOW) == "duplicate"
    assert len(_events(tx, "order.refunded")) == 1
