"""The whole payout path with each real provider class against its loopback server: the artisan
connects through the API, a delivered order's payout is scheduled and released, the payouts worker's
handlers (called as its runner calls them, with the provider its ``build_dependencies`` builds from
``PAYOUT_PROVIDER``) send it, the provider's webhook settles it, and the artisan's API and the ledger
agree at the end. Only the outside service is stood in for, by a server speaking its protocol."""

from __future__ import annotations

import json
import time
from dataclasses import replace
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.db import utcnow
from marketplace.ledger.check import check
from marketplace.ledger.models import LedgerEntry
from marketplace.payouts.release import release_due_payouts
from marketplace.payments.stripe_events import sign_payload
from marketplace.payouts.models import Payout, PayoutAccount
from marketplace.payouts.xendit import REFERENCE_PREFIX
from tests.unit.payouts import stripe_connect_server, xendit_server
from tests.unit.payouts.test_api import _delivered
from workers.payouts import handlers
from workers.worker import HandlerContext

TOKEN = "xendit-callback-token-flows"
CONNECT_SECRET = "whsec_connect_flows"
BCA = {"channel_code": "ID_BCA", "account_number": "1234 567 890", "account_holder_name": "Sari Wulandari"}
PRICE_IDR = 200_000


@pytest.fixture
def xendit():
    with xendit_server.xendit() as stub:
        yield stub


@pytest.fixture
def stripe_connect():
    with stripe_connect_server.stripe_connect() as stub:
        yield stub


@pytest.fixture
def settings(settings, request):
    """The app's settings with ``PAYOUT_PROVIDER`` naming the provider whose loopback the test uses."""
    if "xendit" in request.fixturenames:
        stub = request.getfixturevalue("xendit")
        return replace(settings, payout_provider="xendit", payout_hold_hours=0, xendit_api_base=stub.url,
                       xendit_secret_key=xendit_server.SECRET_KEY, xendit_callback_token=TOKEN)
    stub = request.getfixturevalue("stripe_connect")
    return replace(settings, payout_provider="stripe_connect", payout_hold_hours=0, stripe_api_base=stub.url,
                   stripe_api_key=stripe_connect_server.API_KEY, stripe_connect_webhook_secret=CONNECT_SECRET)


class Worker:
    """The payouts worker as its runner drives it: one transaction per event, the handler of the
    event's type, the dependencies built once from settings."""

    def __init__(self, app: Any, settings: Any):
        self.app, self.settings = app, settings
        self.deps = handlers.build_dependencies(settings)

    def handle(self, type_: str, now: Any = None) -> None:
        """Handle the newest ``type_`` event of the outbox."""
        with self.app.extensions["db"].transaction() as session:
            payload = session.scalars(select(OutboxEvent.payload).where(OutboxEvent.type == type_)
                                      .order_by(OutboxEvent.id.desc())).first()
            assert payload is not None, f"no {type_} event"
            ctx = HandlerContext(session=session, settings=self.settings, clock=lambda: now or utcnow(),
                                 gateways=self.deps, consumer=handlers.CONSUMER)
            handlers.HANDLERS[type_](ctx, json.loads(payload))


@pytest.fixture
def worker(app, settings) -> Worker:
    return Worker(app, settings)


def _payout(app, part_id: int) -> Payout:
    with app.extensions["db"].transaction() as session:
        payout = session.scalar(select(Payout).where(Payout.seller_order_id == part_id))
        assert payout is not None
        session.expunge(payout)
        return payout


def _account(app, shop_id: int) -> PayoutAccount:
    with app.extensions["db"].transaction() as session:
        account = session.scalar(select(PayoutAccount).where(PayoutAccount.shop_id == shop_id))
        assert account is not None
        session.expunge(account)
        return account


def _state(app) -> tuple:
    """What a webhook could change: every payout row, every account, the ledger and the outbox."""
    with app.extensions["db"].transaction() as session:
        payouts = [(p.id, p.status, p.transfer_id, p.paid_at, p.failure_reason, p.generation)
                   for p in session.scalars(select(Payout).order_by(Payout.id))]
        accounts = [(a.id, a.status, a.problem) for a in session.scalars(select(PayoutAccount))]
        counts = (session.scalar(select(func.count()).select_from(LedgerEntry)),
                  session.scalar(select(func.count()).select_from(OutboxEvent)))
        return payouts, accounts, counts


def _books(app) -> list[str]:
    with app.extensions["db"].transaction() as session:
        return check(session)


def _payable(part: dict[str, Any]) -> int:
    return PRICE_IDR - PRICE_IDR // 10 + part["shipping_idr"]


# --- Xendit ----------------------------------------------------------------------------------------------


def _xendit_callback(client, event: str, payout: Payout, token: str = TOKEN, **data: Any):
    body = {"event": event, "business_id": "6018306aa16ad90cb3c43ba7", "created": "2026-08-20T03:12:01Z",
            "data": {"id": payout.transfer_id, "reference_id": f"{REFERENCE_PREFIX}{payout.id}",
                     "status": "SUCCEEDED" if event == "payout.succeeded" else "FAILED",
                     "amount": payout.amount_idr, "currency": "IDR", **data}}
    return client.post("/webhooks/xendit", data=json.dumps(body), content_type="application/json",
                       headers={"x-callback-token": token})


def _connect_xendit(api, db_session, seller) -> None:
    for bad, field in (({**BCA, "channel_code": "ID_NOPE"}, "channel_code"),
                       ({**BCA, "account_number": "12345"}, "account_number")):
        resp = api.post("/api/v1/seller/payout-account", as_=seller, json=bad)
        assert resp.status_code == 422 and field in resp.json["error"]["fields"], resp.json
        assert db_session.scalars(select(PayoutAccount)).all() == []
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json=BCA)
    assert resp.status_code == 200, resp.json
    assert (resp.json["status"], resp.json["provider"], resp.json["account_number"]) == (
        "connected", "xendit", "••••••7890")


def _pending_xendit_payout(api, app, market, worker, seller, xendit) -> tuple[dict, Payout]:
    """A delivered order's payout sent to Xendit, accepted there and waiting for its callback."""
    _, part = _delivered(api, app, market, seller, price_idr=PRICE_IDR)
    worker.handle("order.delivered")  # hold 0: scheduled and released at once
    assert _payout(app, part["id"]).status == "processing"
    worker.handle("payout.released")
    payout = _payout(app, part["id"])
    assert payout.status == "pending" and payout.transfer_id.startswith("disb-")
    return part, payout


def _check_xendit_request(xendit, payout: Payout, part: dict[str, Any]) -> None:
    create = [r for r in xendit.requests if r.method == "POST" and r.path == "/v2/payouts"][-1]
    assert create.headers["idempotency-key"] == payout.idempotency_key == f"payout-{payout.id}"
    assert create.json["amount"] == _payable(part) == payout.amount_idr
    assert (create.json["channel_code"], create.json["currency"], create.json["reference_id"]) == (
        "ID_BCA", "IDR", f"{REFERENCE_PREFIX}{payout.id}")
    assert create.json["channel_properties"] == {"account_number": "1234567890",
                                                 "account_holder_name": "Sari Wulandari"}
    assert create.json["metadata"]["transfer_group"] == f"order-{payout.order_id}"


def test_xendit_pays_a_delivered_order_and_its_callback_settles_it_once(api, app, client, market, db_session,
                                                                         worker, xendit):
    seller = market.seller()
    _connect_xendit(api, db_session, seller)
    assert xendit.requests == []  # no remote account at Xendit
    part, payout = _pending_xendit_payout(api, app, market, worker, seller, xendit)
    _check_xendit_request(xendit, payout, part)
    assert _books(app) == []

    resp = _xendit_callback(client, "payout.succeeded", payout)
    assert resp.status_code == 200 and resp.json["kind"] == "transfer.paid"
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    [item] = body["items"]
    assert (item["status"], item["transfer_id"], item["amount_idr"]) == ("paid", payout.transfer_id, _payable(part))
    assert (body["paid_idr"], body["in_transit_idr"], body["balance_idr"]) == (_payable(part), 0, 0)
    assert _books(app) == []

    settled = _state(app)
    again = _xendit_callback(client, "payout.succeeded", payout)
    assert again.status_code == 200 and _state(app) == settled  # a redelivery changes nothing
    forged = _xendit_callback(client, "payout.failed", payout, token="guessed", failure_code="INVALID_DESTINATION")
    assert forged.status_code == 400 and forged.json["error"]["code"] == "invalid_webhook"
    assert _state(app) == settled
    assert len([r for r in xendit.requests if r.method == "POST"]) == 1


def test_a_permanent_xendit_failure_gives_the_money_back_and_asks_for_a_new_account(
        api, app, client, market, db_session, worker, xendit):
    seller = market.seller()
    _connect_xendit(api, db_session, seller)
    part, payout = _pending_xendit_payout(api, app, market, worker, seller, xendit)

    resp = _xendit_callback(client, "payout.failed", payout, failure_code="INVALID_DESTINATION")
    assert resp.status_code == 200 and resp.json["kind"] == "transfer.failed"
    failed = _payout(app, part["id"])
    assert failed.status == "failed" and "does not exist" in failed.failure_reason
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    assert (body["balance_idr"], body["paid_idr"], body["in_transit_idr"]) == (_payable(part), 0, 0)
    assert [(i["status"], i["failure_reason"]) for i in body["items"]] == [("failed", failed.failure_reason)]
    assert (body["account"]["status"], body["account"]["problem"]) == ("restricted", failed.failure_reason)
    assert _books(app) == []


def test_a_xendit_500_is_retried_with_the_same_key_and_pays_once(api, app, client, market, db_session, worker,
                                                                   xendit):
    seller = market.seller()
    _connect_xendit(api, db_session, seller)
    _, part = _delivered(api, app, market, seller, price_idr=PRICE_IDR)
    worker.handle("order.delivered")
    xendit.script = ["500"]
    worker.handle("payout.released")
    retrying = _payout(app, part["id"])
    assert (retrying.status, retrying.attempts, retrying.transfer_id) == ("processing", 1, None)
    assert retrying.last_error and retrying.next_attempt_at is not None

    later = retrying.next_attempt_at + timedelta(seconds=1)
    factory = app.extensions["db"].write_session_factory
    assert release_due_payouts(factory, later) == 1  # sent again: a new payout.released
    worker.handle("payout.released", now=later)
    payout = _payout(app, part["id"])
    assert payout.status == "pending"
    creates = [r for r in xendit.requests if r.method == "POST" and r.path == "/v2/payouts"]
    assert [r.headers["idempotency-key"] for r in creates] == [payout.idempotency_key] * 2
    assert len(xendit.state["payouts"]) == 1

    assert _xendit_callback(client, "payout.succeeded", payout).status_code == 200
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    assert [i["status"] for i in body["items"]] == ["paid"] and body["paid_idr"] == _payable(part)
    assert _books(app) == []


# --- Stripe Connect --------------------------------------------------------------------------------------


def _signed_event(client, type_: str, obj: dict[str, Any], event_id: str):
    payload = json.dumps({"id": event_id, "object": "event", "type": type_, "account": obj.get("id"),
                          "data": {"object": obj}}).encode()
    return client.post("/webhooks/stripe/connect", data=payload, content_type="application/json",
                       headers={"Stripe-Signature": sign_payload(payload, CONNECT_SECRET, int(time.time()))})


def test_stripe_connect_onboarding_then_account_updated_releases_and_pays_the_waiting_payout(
        api, app, client, market, worker, stripe_connect):
    seller = market.seller()
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json={})
    assert resp.status_code == 200, resp.json
    assert (resp.json["status"], resp.json["provider"]) == ("onboarding", "stripe_connect")
    account_id = _account(app, seller.shop_id).account_ref
    assert account_id.startswith("acct_")
    # the loopback's account link (Stripe's fixture, its url naming the account)
    assert resp.json["onboarding_url"].startswith(f"https://connect.stripe.com/setup/e/{account_id}/")

    _, part = _delivered(api, app, market, seller, price_idr=PRICE_IDR)
    worker.handle("order.delivered")
    assert _payout(app, part["id"]).status == "awaiting_account"
    assert not [r for r in stripe_connect.requests if r.path == "/v1/transfers"]

    unsigned = json.dumps({"id": "evt_forged", "type": "account.updated", "data": {"object": {}}})
    assert client.post("/webhooks/stripe/connect", data=unsigned, content_type="application/json",
                       headers={"Stripe-Signature": "t=1,v1=00"}).status_code == 400

    stripe_connect_server.activate(stripe_connect, account_id)
    resp = _signed_event(client, "account.updated", stripe_connect.state["accounts"][account_id], "evt_active")
    assert resp.status_code == 200 and resp.json["kind"] == "account.updated"
    assert _account(app, seller.shop_id).status == "connected"
    released = _payout(app, part["id"])
    assert released.status == "processing"

    worker.handle("payout.released")
    payout = _payout(app, part["id"])
    [sent] = [r for r in stripe_connect.requests if r.method == "POST" and r.path == "/v1/transfers"]
    assert (sent.form["amount"], sent.form["currency"], sent.form["destination"], sent.form["transfer_group"]) == (
        str(_payable(part) * 100), "idr", account_id, f"order-{payout.order_id}")
    assert sent.headers["idempotency-key"] == payout.idempotency_key == f"payout-{payout.id}"
    made = stripe_connect.state["transfers"][payout.idempotency_key]
    assert (payout.status, payout.transfer_id) == ("paid", made["id"])
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    assert [(i["status"], i["transfer_id"]) for i in body["items"]] == [("paid", payout.transfer_id)]
    assert (body["paid_idr"], body["balance_idr"]) == (_payable(part), 0)
    assert _books(app) == []


def test_a_stripe_connect_that_cannot_reach_stripe_is_503_and_stores_nothing(api, market, db_session,
                                                                           stripe_connect):
    seller = market.seller()
    stripe_connect.script = ["500"] * 3  # the library's own two retries too
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json={})
    assert resp.status_code == 503 and resp.json["error"]["code"] == "payout_provider_unavailable"
    assert db_session.scalars(select(PayoutAccount)).all() == []
    resp = api.post("/api/v1/seller/payout-account", as_=seller, json={})  # Stripe is back
    assert resp.status_code == 200 and resp.json["status"] == "onboarding"


def test_a_reversed_stripe_transfer_makes_the_paid_payout_owed_again(api, app, client, market, worker,
                                                                     stripe_connect):
    seller = market.seller()
    api.post("/api/v1/seller/payout-account", as_=seller, json={})
    account_id = _account(app, seller.shop_id).account_ref
    stripe_connect_server.activate(stripe_connect, account_id)
    assert api.post("/api/v1/seller/payout-account", as_=seller, json={}).json["status"] == "connected"
    _, part = _delivered(api, app, market, seller, price_idr=PRICE_IDR)
    worker.handle("order.delivered")
    worker.handle("payout.released")
    payout = _payout(app, part["id"])
    assert payout.status == "paid"

    transfer = stripe_connect.state["transfers"][payout.idempotency_key]
    reversed_ = {**transfer, "amount_reversed": transfer["amount"], "reversed": True}  # reversed in the Dashboard
    resp = _signed_event(client, "transfer.reversed", reversed_, "evt_reversed")
    assert resp.status_code == 200
    body = api.get("/api/v1/seller/payouts", as_=seller).json
    assert [(i["status"], i["failure_reason"]) for i in body["items"]] == [
        ("failed", "The transfer was reversed at Stripe.")]
    assert (body["balance_idr"], body["paid_idr"], body["account"]["status"]) == (_payable(part), 0, "restricted")
    assert _books(app) == []
    settled = _state(app)
    assert _signed_event(client, "transfer.reversed", reversed_, "evt_reversed").status_code == 200
    assert _state(app) == settled
