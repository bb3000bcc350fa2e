"""``PAYMENT_GATEWAY=xendit`` through its real HTTP client (``requests``) against a loopback Xendit that
checks method, path, Basic auth, ``api-version``, idempotency keys and bodies; its callbacks at
``/webhooks/xendit/payments`` with Xendit's ``x-callback-token``."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from marketplace.config import Settings
from marketplace.db import utcnow
from marketplace.orders.models import Order
from marketplace.payments import attempts, refunds
from marketplace.payments.gateways import PaymentGatewayError, gateway_from_settings
from marketplace.payments.models import Payment, Refund
from marketplace.payments.xendit import XenditGateway
from marketplace.web import deps
from tests.unit.payments import xendit_server

TOKEN = "xendit-callback-token-loopback"


@pytest.fixture
def stub():
    with xendit_server.xendit() as running:
        yield running


@pytest.fixture
def xendit(app, stub) -> XenditGateway:
    gateway = XenditGateway(xendit_server.SECRET_KEY, TOKEN, api_base=stub.url, return_base="https://pasar.example",
                            timeout=0.5)
    deps.override(app, payment_gateway=gateway)
    return gateway


def _fresh(db_session):
    db_session.rollback()
    db_session.expire_all()


def _attempts(db_session, order_id) -> list[Payment]:
    _fresh(db_session)
    return list(db_session.scalars(select(Payment).where(Payment.order_id == order_id).order_by(Payment.id)))


def _choose_and_make(api, app, xendit, buyer, order_id, method) -> Payment:
    resp = api.post(f"/api/v1/orders/{order_id}/pay", as_=buyer, json={"method": method})
    assert resp.status_code == 202, resp.json
    with app.extensions["db"].transaction() as session:
        made = attempts.make_attempt(session, xendit, resp.json["payment_id"], now=utcnow())
        assert made is not None
        session.expunge(made)
    return made


def test_settings_build_the_gateway_and_its_secrets_are_required():
    gateway = gateway_from_settings(Settings(payment_gateway="xendit", xendit_secret_key="xnd_x",
                                             xendit_callback_token="tok"))
    assert isinstance(gateway, XenditGateway) and "va_bca" in gateway.methods and "card" not in gateway.methods
    with pytest.raises(ValueError):
        gateway_from_settings(Settings(payment_gateway="xendit", xendit_callback_token="tok"))
    with pytest.raises(ValueError):
        gateway_from_settings(Settings(payment_gateway="xendit", xendit_secret_key="xnd_x"))


def test_an_order_gets_nothing_until_the_buyer_chooses(api, app, db_session, xendit, shop_order, stub):
    buyer, order, _ = shop_order(with_intent=False)
    from marketplace.payments import services

    with app.extensions["db"].transaction() as session:  # what order.placed does on Xendit
        assert services.create_intent(session, xendit, order.id, now=utcnow()) is None
    assert stub.requests == [] and api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"] is None


def test_a_va_attempt_posts_the_documented_payment_request(api, app, db_session, xendit, shop_order, stub):
    buyer, order, _ = shop_order(with_intent=False)
    made = _choose_and_make(api, app, xendit, buyer, order.id, "va_bca")
    (req,) = stub.requests
    assert (req.method, req.path) == ("POST", "/v3/payment_requests")
    assert req.headers["idempotency-key"] == f"payment-{made.id}" and req.headers["api-version"] == "2024-11-11"
    body = req.json
    assert body["reference_id"] == str(made.id) and body["request_amount"] == order.total_idr
    assert body["channel_code"] == "BCA_VIRTUAL_ACCOUNT" and body["currency"] == "IDR" and body["type"] == "PAY"
    assert body["channel_properties"]["expires_at"].endswith("Z")
    shown = api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]
    assert shown["action"] == {"type": "va", "bank": "BCA", "account_number": "8808999912345678",
                               "expires_at": body["channel_properties"]["expires_at"]}


@pytest.mark.parametrize("method, kind, check", [
    ("ovo", "push", lambda p: p["account_mobile_number"] == "+6281234567890"),
    ("dana", "redirect", lambda p: p["success_return_url"].startswith("https://pasar.example/orders/")),
    ("qris", "qr", lambda p: "expires_at" in p),
])
def test_e_wallets_and_qris_send_their_channel_properties(api, app, db_session, xendit, shop_order, stub,
                                                          method, kind, check):
    buyer, order, _ = shop_order(with_intent=False)
    _choose_and_make(api, app, xendit, buyer, order.id, method)
    assert check(stub.requests[0].json["channel_properties"])
    assert api.get(f"/api/v1/orders/{order.id}", as_=buyer).json["payment"]["action"]["type"] == kind


@pytest.mark.parametrize("failure", ["503", "timeout"])
def test_a_5xx_or_a_timeout_is_retried_with_the_same_key_and_makes_one_request(api, app, db_session, xendit,
                                                                               shop_order, stub, failure):
    stub.timeout_seconds = 1.0
    stub.script = [failure]
    buyer, order, _ = shop_order(with_intent=False)
    made = _choose_and_make(api, app, xendit, buyer, order.id, "va_bni")
    keys = [r.headers["idempotency-key"] for r in stub.requests]
    assert len(keys) == 2 and set(keys) == {f"payment-{made.id}"}
    assert len(stub.state["requests"]) <= 1 + (failure == "timeout")  # a timed-out try made nothing here


def test_xendit_down_fails_the_handler_so_the_worker_retries_it(api, app, db_session, xendit, shop_order, stub):
    stub.script = ["500", "500", "500"]
    buyer, order, _ = shop_order(with_intent=False)
    resp = api.post(f"/api/v1/orders/{order.id}/pay", as_=buyer, json={"method": "va_bri"})
    with pytest.raises(PaymentGatewayError), app.extensions["db"].transaction() as session:
        attempts.make_attempt(session, xendit, resp.json["payment_id"], now=utcnow())
    assert _attempts(db_session, order.id)[0].provider_intent_id is None  # rolled back: tried again later


def test_switching_cancels_the_old_request_at_xendit_before_the_new_one(api, app, db_session, xendit, shop_order,
                                                                        stub):
    buyer, order, _ = shop_order(with_intent=False)
    old = _choose_and_make(api, app, xendit, buyer, order.id, "va_mandiri")
    _choose_and_make(api, app, xendit, buyer, order.id, "qris")
    assert [(r.method, r.path) for r in stub.requests] == [
        ("POST", "/v3/payment_requests"), ("POST", f"/v3/payment_requests/{old.provider_intent_id}/cancel"),
        ("POST", "/v3/payment_requests")]
    assert stub.requests[1].headers["idempotency-key"] == f"payment-{old.id}-cancel"
    assert _attempts(db_session, order.id)[0].status == "canceled"


def _capture(payment: Payment, *, status: str = "SUCCEEDED", payment_id: str = "py-1") -> bytes:
    """Xendit's ``payment.capture`` callback, as its "Payment webhook notification" example."""
    return json.dumps({"event": "payment.capture", "business_id": "6094fa76c2fd53701b8e079c",
                       "created": "2026-12-07T14:52:21.566Z", "data": {
                           "payment_id": payment_id, "business_id": "6094fa76c2fd53701b8e079c", "status": status,
                           "payment_request_id": payment.provider_intent_id, "request_amount": payment.amount_idr,
                           "channel_code": "QRIS", "country": "ID", "currency": "IDR",
                           "reference_id": str(payment.id), "type": "PAY"}}).encode()


def test_callbacks_pay_the_order_once_with_the_right_token_only(api, app, client, db_session, xendit, shop_order):
    buyer, order, _ = shop_order(with_intent=False)
    made = _choose_and_make(api, app, xendit, buyer, order.id, "qris")
    forged = client.post("/webhooks/xendit/payments", data=_capture(made), headers={"x-callback-token": "nope"})
    assert forged.status_code == 400
    ok = client.post("/webhooks/xendit/payments", data=_capture(made), headers={"x-callback-token": TOKEN})
    assert ok.status_code == 200 and ok.json["outcome"] == "paid"
    again = client.post("/webhooks/xendit/payments", data=_capture(made), headers={"x-callback-token": TOKEN})
    assert again.json["outcome"] == "duplicate"
    late_failure = client.post("/webhooks/xendit/payments", data=_capture(made, status="FAILED", payment_id="py-2"),
                               headers={"x-callback-token": TOKEN})
    assert late_failure.json["outcome"] == "unchanged"  # never backwards
    _fresh(db_session)
    assert db_session.get(Order, order.id).status == "paid"


def _pay_and_refund(api, app, client, db_session, xendit, shop_order, method) -> Refund:
    buyer, order, _ = shop_order(with_intent=False)
    made = _choose_and_make(api, app, xendit, buyer, order.id, method)
    client.post("/webhooks/xendit/payments", data=_capture(made), headers={"x-callback-token": TOKEN})
    admin = api.make_user("admin")
    resp = api.post(f"/api/v1/admin/orders/{order.id}/refund", as_=admin, json={"reason": "buyer asked"})
    assert resp.status_code == 200, resp.json
    with app.extensions["db"].transaction() as session:
        refunds.send_refund(session, xendit, resp.json["refund_id"], now=utcnow())
    _fresh(db_session)
    return db_session.get(Refund, resp.json["refund_id"])


def test_a_qris_payment_is_refunded_through_xendit(api, app, client, db_session, xendit, shop_order, stub):
    refund = _pay_and_refund(api, app, client, db_session, xendit, shop_order, "qris")
    req = stub.requests[-1]
    assert (req.method, req.path) == ("POST", "/refunds")
    assert req.headers["idempotency-key"] == f"refund-{refund.id}"
    assert req.json["amount"] == refund.amount_idr and req.json["currency"] == "IDR"
    assert refund.provider_refund_id.startswith("rfd-") and refund.status == "pending"  # until the callback
    body = json.dumps({"event": "refund.succeeded", "business_id": "b", "created": "2026-12-07T15:00:00Z",
                       "data": {"id": refund.provider_refund_id, "payment_request_id": req.json["payment_request_id"],
                                "reference_id": f"refund-{refund.id}", "status": "SUCCEEDED",
                                "amount": refund.amount_idr, "currency": "IDR"}}).encode()
    resp = client.post("/webhooks/xendit/payments", data=body, headers={"x-callback-token": TOKEN})
    assert resp.json["outcome"] == "refunded"
    _fresh(db_session)
    assert db_session.get(Refund, refund.id).status == "succeeded"
    assert db_session.get(Order, refund.order_id).status == "refunded"


def test_a_va_payment_is_not_sent_to_xendit_for_refund(api, app, client, db_session, xendit, shop_order, stub):
    refund = _pay_and_refund(api, app, client, db_session, xendit, shop_order, "va_bca")
    assert all(r.path != "/refunds" for r in stub.requests)
    assert refund.status == "pending" and refund.provider_refund_id is None  # the admin's bank refund


def test_the_admin_records_a_va_refund_by_bank_with_its_reference(api, app, client, db_session, xendit, shop_order):
    refund = _pay_and_refund(api, app, client, db_session, xendit, shop_order, "va_bca")
    admin, buyer = api.make_user("admin"), api.make_user("buyer")
    url = f"/api/v1/admin/refunds/{refund.id}/manual"
    assert api.post(url, as_=buyer, json={"bank_reference": "BCA-TRF-0001"}).status_code == 403
    assert api.post(url, as_=admin, json={"bank_reference": "<script>"}).status_code == 422
    resp = api.post(url, as_=admin, json={"bank_reference": "BCA-TRF-0001"})
    assert resp.status_code == 200 and resp.json["status"] == "refunded"
    _fresh(db_session)
    assert db_session.get(Order, refund.order_id).status == "refunded"  # the ledger as for a gateway refund
    again = api.post(url, as_=admin, json={"bank_reference": "BCA-TRF-0001"})
    assert again.status_code == 409 and again.json["error"]["code"] == "refund_settled"


def test_a_qris_refund_cannot_be_recorded_by_hand(api, app, client, db_session, xendit, shop_order):
    refund = _pay_and_refund(api, app, client, db_session, xendit, shop_order, "qris")
    admin = api.make_user("admin")
    resp = api.post(f"/api/v1/admin/refunds/{refund.id}/manual", as_=admin, json={"bank_reference": "X-1"})
    assert resp.status_code == 409 and resp.json["error"]["code"] == "not_manual"
