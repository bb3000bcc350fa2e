"""The Stripe gateway through the real ``stripe`` library against a loopback server answering with
Stripe's own fixtures: what we send (amount × 100, IDR, idempotency key, methods, transfer group,
metadata), retries with the same key, and webhook signatures checked by Stripe's own algorithm."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
import stripe

from marketplace.config import Settings
from marketplace.orders.models import Order
from marketplace.payments.gateways import (
    PaymentGatewayError,
    SandboxGateway,
    StripeGateway,
    gateway_from_settings,
)
from marketplace.payments.stripe_events import InvalidSignature, sign_payload
from tests.unit.payments import stripe_server

SECRET = "whsec_test_loopback"


@pytest.fixture
def stub() -> Iterator[stripe_server.StripeStub]:
    holder: list[stripe_server.StripeStub] = []
    server, stub = stripe_server.start(holder)
    yield stub
    server.shutdown()
    server.server_close()


def gateway(stub: stripe_server.StripeStub, **kw) -> StripeGateway:
    settings = Settings(payment_gateway="stripe", stripe_api_key="sk_test_loopback", stripe_webhook_secret=SECRET,
                        stripe_api_base=stub.url)
    if not kw:
        made = gateway_from_settings(settings)
        assert isinstance(made, StripeGateway)
        return made
    return StripeGateway("sk_test_loopback", SECRET, ["card", "qris", "gopay"], api_base=stub.url, **kw)


def order(order_id: int = 42, total_idr: int = 275_000) -> Order:
    return Order(id=order_id, total_idr=total_idr, subtotal_idr=total_idr - 25_000, shipping_idr=25_000)


def intent_posts(stub: stripe_server.StripeStub) -> list[stripe_server.Recorded]:
    return [r for r in stub.requests if r.method == "POST" and r.path == "/v1/payment_intents"]


def test_create_intent_sends_idr_hundredths_with_our_key_methods_group_and_metadata(stub):
    intent = gateway(stub).create_intent(order(42, 275_000), "order-42-intent")

    [sent] = intent_posts(stub)
    assert sent.form["amount"] == "27500000"  # Rp 275.000 in Stripe's hundredths
    assert sent.form["currency"] == "idr"
    assert sent.headers["Idempotency-Key"] == "order-42-intent"
    assert [sent.form[f"payment_method_types[{i}]"] for i in range(3)] == ["card", "qris", "gopay"]
    assert sent.form["transfer_group"] == "order-42"
    assert sent.form["metadata[order_id]"] == "42"
    assert sent.headers["Authorization"] == "Bearer sk_test_loopback"
    assert intent.intent_id.startswith("pi_") and intent.client_secret.startswith(intent.intent_id + "_secret_")
    assert intent.status == "requires_payment_method"
    assert stub.intents[intent.intent_id]["amount"] == 27_500_000  # the fixture, adjusted to the request


def test_payment_methods_come_from_settings():
    settings = Settings(payment_gateway="stripe", stripe_api_key="sk", stripe_webhook_secret=SECRET,
                        stripe_payment_methods="card, qris")
    made = gateway_from_settings(settings)
    assert isinstance(made, StripeGateway) and made.payment_methods == ["card", "qris"]
    assert isinstance(gateway_from_settings(Settings(secret_key="k")), SandboxGateway)  # the default
    with pytest.raises(ValueError):
        gateway_from_settings(Settings(payment_gateway="stripe"))  # no key: refuse to start
    with pytest.raises(ValueError):
        gateway_from_settings(Settings(payment_gateway="paypal"))


def test_what_the_sandbox_does_differently_is_a_capability_of_the_interface():
    """The use cases and the payments worker read these, never the class: the sandbox takes test card
    payments on our own page and its webhooks are ours to send; Stripe does neither (its servers send)."""
    sandbox = gateway_from_settings(Settings(secret_key="k"))
    stripe_gateway = StripeGateway("sk_test_x", SECRET, ["card"], api_base="http://127.0.0.1:9")
    assert (sandbox.accepts_test_payments, sandbox.sends_own_webhooks) == (True, True)
    assert (stripe_gateway.accepts_test_payments, stripe_gateway.sends_own_webhooks) == (False, False)
    payload = _event()
    headers = stripe_gateway.sign(payload, int(time.time()))
    assert stripe_gateway.verify_webhook(payload, headers)["id"] == "evt_1"  # signed as Stripe signs


def test_a_retry_after_a_500_reuses_the_key_and_gets_the_same_intent(stub):
    gw = gateway(stub, max_network_retries=0)
    stub.script = ["500"]
    with pytest.raises(PaymentGatewayError):
        gw.create_intent(order(7), "order-7-intent")
    intent = gw.create_intent(order(7), "order-7-intent")  # the worker's retry
    again = gw.create_intent(order(7), "order-7-intent")  # a redelivery that got this far
    keys = [r.headers["Idempotency-Key"] for r in intent_posts(stub)]
    assert keys == ["order-7-intent"] * 3
    assert again.intent_id == intent.intent_id and len(stub.intents) == 1


def test_the_librarys_own_retry_after_a_500_sends_the_same_key(stub):
    gw = gateway(stub, max_network_retries=2)
    stub.script = ["500"]
    intent = gw.create_intent(order(8), "order-8-intent")
    posts = intent_posts(stub)
    assert len(posts) == 2 and {r.headers["Idempotency-Key"] for r in posts} == {"order-8-intent"}
    assert len(stub.intents) == 1 and intent.intent_id in stub.intents


def test_a_retry_after_a_timeout_reuses_the_key(stub):
    stub.script = ["timeout"]
    stub.timeout_seconds = 1.0
    with pytest.raises(PaymentGatewayError):
        gateway(stub, max_network_retries=0, timeout=0.3).create_intent(order(9), "order-9-intent")
    # the retry with the usual timeout: 0.3 s for it too is a race with the stub still on the first
    intent = gateway(stub, max_network_retries=0).create_intent(order(9), "order-9-intent")
    assert [r.headers["Idempotency-Key"] for r in intent_posts(stub)] == ["order-9-intent"] * 2
    assert list(stub.intents) == [intent.intent_id]


def test_cancel_intent_and_a_cancel_of_a_final_intent(stub):
    gw = gateway(stub)
    intent = gw.create_intent(order(11), "order-11-intent")
    assert gw.cancel_intent(intent.intent_id, "order-11-intent-cancel") == "canceled"
    cancel = [r for r in stub.requests if r.path.endswith("/cancel")][0]
    assert cancel.headers["Idempotency-Key"] == "order-11-intent-cancel"
    stub.intents[intent.intent_id]["status"] = "succeeded"
    assert gw.cancel_intent(intent.intent_id, "order-11-intent-cancel-2") == "succeeded"  # told, not cancelled


def test_refund_sends_hundredths_and_our_key(stub):
    gw = gateway(stub)
    intent = gw.create_intent(order(12), "order-12-intent")
    refund = gw.refund(intent.intent_id, 50_000, "order-12-refund-1")
    [sent] = [r for r in stub.requests if r.path == "/v1/refunds"]
    assert sent.form == {"payment_intent": intent.intent_id, "amount": "5000000"}
    assert sent.headers["Idempotency-Key"] == "order-12-refund-1"
    assert refund.refund_id.startswith("re_") and refund.status == "succeeded"


# --- webhook signatures ---------------------------------------------------------------------------------


def _event() -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": "payment_intent.succeeded",
                       "data": {"object": {"id": "pi_1", "object": "payment_intent"}}}).encode()


def test_a_good_signature_is_accepted_and_stripes_own_parser_agrees(stub):
    payload = _event()
    header = sign_payload(payload, SECRET, int(time.time()))
    event = gateway(stub).verify_webhook(payload, {"Stripe-Signature": header})
    assert event["id"] == "evt_1" and event["data"]["object"]["id"] == "pi_1"
    assert stripe.Webhook.construct_event(payload, header, SECRET, tolerance=300).id == "evt_1"


@pytest.mark.parametrize("case", ["wrong_secret", "tampered", "stale", "missing", "garbage"])
def test_forged_tampered_stale_or_missing_signatures_are_refused(stub, case):
    payload, now = _event(), int(time.time())
    headers = {
        "wrong_secret": {"Stripe-Signature": sign_payload(payload, "whsec_attacker", now)},
        "tampered": {"Stripe-Signature": sign_payload(payload.replace(b"pi_1", b"pi_2"), SECRET, now)},
        "stale": {"Stripe-Signature": sign_payload(payload, SECRET, now - 301)},  # beyond Stripe's 300 s
        "missing": {},
        "garbage": {"Stripe-Signature": "t=abc,v1=nothex"},
    }[case]
    with pytest.raises(InvalidSignature) as err:
        gateway(stub).verify_webhook(payload, headers)
    assert err.value.code == "invalid_signature"


def test_within_tolerance_is_accepted(stub):
    payload = _event()
    assert gateway(stub).verify_webhook(payload, {"Stripe-Signature": sign_payload(payload, SECRET, int(time.time()) - 250)})


def test_the_sandbox_signs_as_stripe_does():
    sandbox = SandboxGateway("secret-key")
    payload = _event()
    headers = sandbox.sign(payload, int(time.time()))
    assert stripe.Webhook.construct_event(payload, headers["Stripe-Signature"], sandbox.webhook_secret).id == "evt_1"
    assert SandboxGateway("secret-key", "whsec_configured").webhook_secret == "whsec_configured"
    with pytest.raises(InvalidSignature):
        SandboxGateway("another-key").verify_webhook(payload, headers)


def test_a_chosen_method_is_the_only_payment_method_type_and_carries_our_attempt_id(stub):
    made = gateway(stub)
    assert made.methods == frozenset({"card", "qris", "gopay"})  # Stripe's, through the same /pay door
    intent = made.create_intent(order(43, 150_000), "payment-7", method="gopay", reference="7")
    [sent] = intent_posts(stub)
    assert sent.headers["Idempotency-Key"] == "payment-7"
    assert sent.form["payment_method_types[0]"] == "gopay" and "payment_method_types[1]" not in sent.form
    assert sent.form["metadata[payment_id]"] == "7" and sent.form["metadata[order_id]"] == "43"
    assert intent.action == {"type": "card_form", "client_secret": intent.client_secret}
