"""``POST /webhooks/xendit`` and ``POST /webhooks/stripe/connect`` through the Flask test client (CSRF on,
as in production): a forged callback is a 400 before any payout use case runs; a verified one reaches
``apply_provider_event`` with the translated event. The use case itself belongs to the payouts feature:
here a recording stand-in takes its place, so these tests check the door, not what is behind it."""

from __future__ import annotations

import json
import time

import pytest

from marketplace.payments.stripe_events import sign_payload
from marketplace.payouts import provider_events
from marketplace.payouts.stripe_connect import StripeConnectProvider
from marketplace.payouts.xendit import XenditProvider
from marketplace.web import deps

TOKEN = "xendit-callback-token-endpoint"
SECRET = "whsec_connect_endpoint"


@pytest.fixture
def applied(monkeypatch) -> list[tuple]:
    """The calls ``apply_provider_event`` receives (a recording stand-in for the payout use case)."""
    calls: list[tuple] = []
    monkeypatch.setattr(provider_events, "apply_provider_event",
                        lambda session, event, clock: calls.append((session, event, clock())))
    return calls


def _use(app, provider) -> None:
    deps.override(app, payout_provider=provider)


def _xendit_callback(event: str = "payout.succeeded") -> bytes:
    return json.dumps({"event": event, "business_id": "b", "created": "2026-08-20T03:12:01Z",
                       "data": {"id": "disb-571f3644d2b4edf0745e9703", "reference_id": "pasar-kreatif-payout-42",
                                "status": "SUCCEEDED", "amount": 247500, "currency": "IDR"}}).encode()


def _connect_event() -> bytes:
    return json.dumps({"id": "evt_1", "object": "event", "type": "account.updated", "account": "acct_sari",
                       "data": {"object": {"id": "acct_sari", "object": "account",
                                           "capabilities": {"transfers": "active"}}}}).encode()


@pytest.mark.parametrize("headers", [{}, {"x-callback-token": "guess"}])
def test_a_xendit_callback_without_the_right_token_is_400_and_changes_nothing(app, client, applied, headers):
    _use(app, XenditProvider("xnd_k", TOKEN, api_base="http://127.0.0.1:9"))
    resp = client.post("/webhooks/xendit", data=_xendit_callback(), headers=headers, content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_webhook"
    assert applied == []


def test_a_xendit_callback_with_the_token_reaches_the_payout_use_case(app, client, applied):
    _use(app, XenditProvider("xnd_k", TOKEN, api_base="http://127.0.0.1:9"))
    resp = client.post("/webhooks/xendit", data=_xendit_callback(), headers={"x-callback-token": TOKEN},
                       content_type="application/json")
    assert resp.status_code == 200 and resp.json == {"received": True, "kind": "transfer.paid"}
    [(session, event, now)] = applied
    assert (event.transfer_id, event.payout_reference) == ("disb-571f3644d2b4edf0745e9703", "42")
    assert session is not None and now.tzinfo is not None


def test_an_ignored_callback_is_acknowledged_without_the_use_case(app, client, applied):
    _use(app, XenditProvider("xnd_k", TOKEN, api_base="http://127.0.0.1:9"))
    resp = client.post("/webhooks/xendit", data=_xendit_callback("payout.requested"),
                       headers={"x-callback-token": TOKEN}, content_type="application/json")
    assert resp.status_code == 200 and resp.json["kind"] == "ignored" and applied == []


@pytest.mark.parametrize("secret, age", [("whsec_attacker", 0), (SECRET, 301)])
def test_a_forged_or_stale_connect_event_is_400_and_changes_nothing(app, client, applied, secret, age):
    _use(app, StripeConnectProvider("sk_test", SECRET, api_base="http://127.0.0.1:9"))
    payload = _connect_event()
    resp = client.post("/webhooks/stripe/connect", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, secret, int(time.time()) - age)})
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_webhook"
    assert applied == []


def test_a_signed_connect_event_reaches_the_payout_use_case(app, client, applied):
    _use(app, StripeConnectProvider("sk_test", SECRET, api_base="http://127.0.0.1:9"))
    payload = _connect_event()
    resp = client.post("/webhooks/stripe/connect", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, SECRET, int(time.time()))})
    assert resp.status_code == 200 and resp.json["kind"] == "account.updated"
    [(_, event, _)] = applied
    assert (event.account_ref, event.can_receive, event.event_id) == ("acct_sari", True, "evt_1")


def test_each_endpoint_is_closed_unless_its_provider_is_the_configured_one(app, client, applied):
    _use(app, XenditProvider("xnd_k", TOKEN, api_base="http://127.0.0.1:9"))
    payload = _connect_event()
    resp = client.post("/webhooks/stripe/connect", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, SECRET, int(time.time()))})
    assert resp.status_code == 404 and applied == []
    _use(app, StripeConnectProvider("sk_test", SECRET, api_base="http://127.0.0.1:9"))
    resp = client.post("/webhooks/xendit", data=_xendit_callback(), headers={"x-callback-token": TOKEN},
                       content_type="application/json")
    assert resp.status_code == 404 and applied == []
