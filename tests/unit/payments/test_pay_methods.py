"""``POST /api/v1/orders/<id>/pay {method}`` on the sandbox: the choice is recorded, the payments worker
makes it (here: ``make()``, what its handler does), the order shows the action, ``sandbox-pay`` completes
it with a Xendit-format callback to ``/webhooks/xendit/payments``; switching methods cancels the old
attempt first, and a late success of a switched-away attempt is given back, never charged twice."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.ledger.check import check as ledger_check
from marketplace.orders.models import Order
from marketplace.payments import attempts
from marketplace.payments.gateways import StripeGateway
from marketplace.payments.models import Payment
from marketplace.payments.sandbox_methods import capture_callback
from marketplace.web import deps


@pytest.fixture
def make(app, sandbox):
    """``make()``: the payments worker's handler of every ``order.payment_method_chosen`` not made yet."""

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


def _fresh(db_session):
    db_session.rollback()
    db_session.expire_all()


def _attempts(db_session, order_id) -> list[Payment]:
    _fresh(db_session)
    return list(db_session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def _types(db_session, order_id) -> list[str]:
    _fresh(db_session)
    return list(db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order_id))
                                   .order_by(OutboxEvent.id)))


def _choose(api, buyer, order_id, method):
    return api.post(f"/api/v1/orders/{order_id}/pay", as_=buyer, json={"method": method})


def test_a_va_payment_shows_its_number_and_pays_the_order_by_callback(api, db_session, shop_order, make, deliver):
    buyer, order, _ = shop_order(with_intent=False)
    resp = _choose(api, buyer, order.id, "va_bca")
    assert resp.status_code == 202 and resp.json["method"] == "va_bca"
    shown = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]
    assert shown["method"] == "va_bca" and shown["action"] is None  # the worker has not made it yet
    assert make() == 1
    shown = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]
    assert shown["status"] == "requires_payment" and shown["expires_at"]
    action = shown["action"]
    assert action["type"] == "va" and action["bank"] == "BCA"
    assert action["account_number"].isdigit() and len(action["account_number"]) == 16
    resp = api.post(f"/api/v1/orders/{order.id}/sandbox-pay", as_=buyer, json={"method": "va_bca"})
    assert resp.status_code == 202 and resp.json["outcome"] == "processing"
    assert deliver() == 1  # a Xendit-format callback, with the sandbox's x-callback-token
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "paid"
    assert api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]["status"] == "succeeded"
    assert "order.paid" in _types(db_session, order.id)


@pytest.mark.parametrize("method, kind", [("qris", "qr"), ("ovo", "push"), ("dana", "redirect"),
                                          ("shopeepay", "redirect"), ("gopay", "redirect"), ("va_mandiri", "va")])
def test_every_method_answers_its_action(api, shop_order, make, method, kind):
    buyer, order, _ = shop_order(with_intent=False)
    assert _choose(api, buyer, order.id, method).status_code == 202
    make()
    action = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]["action"]
    assert action["type"] == kind
    if kind == "qr":
        assert action["qr_string"].startswith("000201") and str(order.total_idr) in action["qr_string"]
    if kind == "push":
        assert action["phone"].startswith("0812") and "567890" not in action["phone"]  # masked


def test_switching_cancels_the_previous_attempt_first(api, db_session, shop_order, make):
    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "va_bni")
    make()
    assert _choose(api, buyer, order.id, "qris").status_code == 202
    first, second = _attempts(db_session, order.id)
    assert first.superseded_at is not None and first.status == "requires_payment"  # the web called no gateway
    make()
    first, second = _attempts(db_session, order.id)
    assert first.status == "canceled" and second.provider_intent_id and second.method == "qris"
    shown = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]
    assert shown["method"] == "qris" and shown["action"]["type"] == "qr"
    # the old attempt can no longer be paid by sandbox-pay
    resp = api.post(f"/api/v1/orders/{order.id}/sandbox-pay", as_=buyer, json={"method": "va_bni"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "method_mismatch"


def test_choosing_the_same_method_again_changes_nothing(api, db_session, shop_order, make):
    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "ovo")
    make()
    assert _choose(api, buyer, order.id, "ovo").status_code == 202
    assert len(_attempts(db_session, order.id)) == 1


def _callback(client, sandbox, payment, *, succeeds=True, token=None):
    body = json.dumps(capture_callback(payment, succeeds=succeeds, now=utcnow())).encode()
    return client.post("/webhooks/xendit/payments", data=body, headers={
        "x-callback-token": token or sandbox.callback_token, "Content-Type": "application/json"}), body


def test_a_late_success_of_a_switched_away_attempt_is_given_back_never_charged_twice(
        api, client, db_session, sandbox, shop_order, make, app):
    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "va_bri")
    make()
    _choose(api, buyer, order.id, "gopay")  # the switch is recorded; the worker has not cancelled yet
    old = _attempts(db_session, order.id)[0]
    resp, _ = _callback(client, sandbox, old)  # the buyer's transfer lands on the old VA meanwhile
    assert resp.status_code == 200 and resp.json["outcome"] == "returned"
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "pending_payment"  # it did not pay the order
    make()  # the worker: the old one is past cancelling (it succeeded), the new one is made
    old, new = _attempts(db_session, order.id)
    assert old.status == "succeeded" and old.return_status == "pending" and new.provider_intent_id
    assert "order.late_payment_received" in _types(db_session, order.id)
    with app.extensions["db"].transaction() as session:  # the worker gives it back, once
        attempts.return_late_payment(session, sandbox, old.id, now=utcnow())
    with app.extensions["db"].transaction() as session:
        attempts.return_late_payment(session, sandbox, old.id, now=utcnow())
    old, new = _attempts(db_session, order.id)
    assert old.return_status == "succeeded" and old.return_ref
    resp, _ = _callback(client, sandbox, new)  # now the new method pays the order, once
    assert resp.json["outcome"] == "paid"
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "paid"
    assert _types(db_session, order.id).count("order.paid") == 1


def test_a_success_that_lands_after_the_order_expired_is_given_back_and_the_order_stays_cancelled(
        api, client, db_session, sandbox, shop_order, make, app):
    """Issue #30 (the chaos run): the scheduler cancelled an unpaid order while the gateway's answer was on
    its way; the success then arrived, was kept, and nobody refunded it."""
    from datetime import timedelta

    from marketplace.orders.scheduler import expire_unpaid_orders

    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "va_bca")
    make()
    live = _attempts(db_session, order.id)[0]
    factory = app.extensions["db"].write_session_factory
    assert expire_unpaid_orders(factory, utcnow() + timedelta(days=3)) == 1
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "cancelled"
    resp, _ = _callback(client, sandbox, live)  # the buyer's transfer lands after the deadline
    assert resp.status_code == 200 and resp.json["outcome"] == "returned"
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "cancelled"  # never paid, never moved backwards
    assert "order.late_payment_received" in _types(db_session, order.id)
    assert "order.paid" not in _types(db_session, order.id)
    with app.extensions["db"].new_session() as session:  # the books know the money is on its way back
        assert ledger_check(session) == []
        stranded = session.get(Payment, live.id)
        stranded.return_status = None  # as before the fix: kept, and nothing acting on it
        assert ledger_check(session) == [
            f"payment {live.id} took {live.amount_idr} for order {order.id}, which it did not pay, "
            "and nothing gives it back"]
        session.rollback()
    with app.extensions["db"].transaction() as session:  # the payments worker gives the money back
        attempts.return_late_payment(session, sandbox, live.id, now=utcnow())
    (live,) = _attempts(db_session, order.id)
    assert live.return_status == "succeeded" and live.return_ref


def test_a_second_success_after_the_order_is_paid_is_given_back(api, client, db_session, sandbox, shop_order, make):
    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "dana")
    make()
    live = _attempts(db_session, order.id)[0]
    assert _callback(client, sandbox, live)[0].json["outcome"] == "paid"
    # a stray success of a superseded attempt after the order was paid: returned, the order stays paid
    assert _choose(api, buyer, order.id, "qris").json["error"]["code"] == "already_paid"
    assert _types(db_session, order.id).count("order.paid") == 1


def test_a_forged_callback_is_400_and_a_replayed_one_changes_nothing(api, client, db_session, sandbox, shop_order,
                                                                     make):
    shop_order(with_intent=False)  # another buyer's order beside it
    buyer, order, _ = shop_order(with_intent=False)
    _choose(api, buyer, order.id, "va_permata")
    make()
    live = _attempts(db_session, order.id)[0]
    resp, _ = _callback(client, sandbox, live, token="forged-token")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_signature"
    assert client.post("/webhooks/xendit/payments", data=b"{}", headers={}).status_code == 400
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "pending_payment"
    resp, body = _callback(client, sandbox, live)
    assert resp.json["outcome"] == "paid"
    again = client.post("/webhooks/xendit/payments", data=body, headers={"x-callback-token": sandbox.callback_token})
    assert again.status_code == 200 and again.json["outcome"] == "duplicate"
    assert _types(db_session, order.id).count("order.paid") == 1
    _fresh(db_session)  # a callback naming another attempt's reference
    data = json.loads(body)
    data["data"].update(payment_id="py-other", reference_id="999999")
    resp = client.post("/webhooks/xendit/payments", data=json.dumps(data).encode(),
                       headers={"x-callback-token": sandbox.callback_token})
    assert resp.status_code == 400


def test_bad_choices_are_clear_4xx(api, app, db_session, shop_order, make):
    buyer, order, _ = shop_order(with_intent=False)
    resp = _choose(api, buyer, order.id, "bitcoin")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "validation_error"
    assert api.post(f"/api/v1/orders/{order.id}/pay", as_=buyer, json={}).status_code == 422
    stranger = api.make_user("buyer")
    assert _choose(api, stranger, order.id, "qris").status_code == 404
    _big_buyer, big, _ = shop_order(with_intent=False, price_idr=6_000_000, quantity=2, buyer=buyer)
    resp = _choose(api, buyer, big.id, "qris")  # Rp 12 juta: over QRIS's Rp 10 juta
    assert resp.status_code == 422 and resp.json["error"]["code"] == "method_unavailable"
    assert _choose(api, buyer, big.id, "va_bca").status_code == 202
    with app.extensions["db"].transaction() as session:
        session.get(Order, order.id).status = "cancelled"
    resp = _choose(api, buyer, order.id, "qris")
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_pending"
    assert _attempts(db_session, order.id) == []


def test_stripe_offers_only_its_own_methods_through_the_same_door(api, app, shop_order):
    buyer, order, _ = shop_order(with_intent=False)
    deps.override(app, payment_gateway=StripeGateway("sk_test_x", "whsec_x", ["card", "qris", "gopay"],
                                                     api_base="http://127.0.0.1:9"))
    resp = _choose(api, buyer, order.id, "va_bca")
    assert resp.status_code == 422 and resp.json["error"]["code"] == "method_unavailable"
    assert _choose(api, buyer, order.id, "gopay").status_code == 202
