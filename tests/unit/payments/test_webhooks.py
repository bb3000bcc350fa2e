"""``POST /webhooks/stripe`` through the Flask test client: verified, applied once, never backwards."""

from __future__ import annotations

from sqlalchemy import func, select

from events.models import OutboxEvent
from marketplace.listings.models import Listing
from marketplace.orders.models import Order
from marketplace.payments.models import ProcessedWebhook
from tests.unit.payments.factories import event_for, payment_of, signed


def _types(db_session, order_id: int) -> list[str]:
    db_session.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    db_session.expire_all()
    rows = db_session.scalars(select(OutboxEvent.type).where(OutboxEvent.key == str(order_id)).order_by(OutboxEvent.id))
    return list(rows)


def _post(client, payload: bytes, headers: dict[str, str]):
    return client.post("/webhooks/stripe", data=payload, headers=headers)


def _state(db_session, order_id: int, listing_id: int) -> tuple[str, int, str | None]:
    db_session.rollback()  # a fresh snapshot (SQLite keeps the old one until the transaction ends)
    db_session.expire_all()
    payment = payment_of(db_session, order_id)
    return (db_session.get(Order, order_id).status, db_session.get(Listing, listing_id).stock,
            payment.status if payment else None)


def test_a_succeeded_intent_pays_the_order(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    payment = payment_of(db_session, order.id)
    resp = _post(client, *signed(sandbox, event_for(payment, "succeeded")))
    assert resp.status_code == 200 and resp.json == {"received": True, "outcome": "paid"}
    assert _state(db_session, order.id, listing.id) == ("paid", 3, "succeeded")
    assert _types(db_session, order.id) == ["order.placed", "payment.intent_created", "order.paid", "payment.succeeded"]


def test_a_declined_intent_cancels_the_order_and_returns_the_stock(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order(quantity=2, stock=5)
    assert _state(db_session, order.id, listing.id) == ("pending_payment", 3, "requires_payment")
    resp = _post(client, *signed(sandbox, event_for(payment_of(db_session, order.id), "failed")))
    assert resp.status_code == 200 and resp.json["outcome"] == "cancelled"
    assert _state(db_session, order.id, listing.id) == ("cancelled", 5, "failed")
    assert db_session.get(Order, order.id).cancel_reason == "generic_decline"
    assert _types(db_session, order.id)[2:] == ["order.payment_failed", "order.cancelled", "payment.failed"]


def test_a_cancelled_intent_cancels_the_order(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    resp = _post(client, *signed(sandbox, event_for(payment_of(db_session, order.id), "canceled")))
    assert resp.status_code == 200 and resp.json["outcome"] == "cancelled"
    assert _state(db_session, order.id, listing.id) == ("cancelled", 5, "canceled")


def test_a_replayed_event_is_200_with_no_effect(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    payload, headers = signed(sandbox, event_for(payment_of(db_session, order.id), "succeeded"))
    assert _post(client, payload, headers).json["outcome"] == "paid"
    before = _types(db_session, order.id)
    resp = _post(client, payload, headers)
    assert resp.status_code == 200 and resp.json["outcome"] == "duplicate"
    assert _types(db_session, order.id) == before
    assert db_session.scalar(select(func.count()).select_from(ProcessedWebhook)) == 1


def test_forged_or_stale_events_are_400_and_change_nothing(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    event = event_for(payment_of(db_session, order.id), "succeeded")
    payload, headers = signed(sandbox, event)
    forged = payload.replace(b'"amount_received":', b'"amount_received": 1, "x":')
    stale_payload, stale_headers = signed(sandbox, event, age=301)
    for body, hdrs in ((forged, headers), (stale_payload, stale_headers), (payload, {}),
                       (payload, {"Stripe-Signature": headers["Stripe-Signature"].replace("v1=", "v1=0")})):
        resp = _post(client, body, hdrs)
        assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_signature"
    assert _state(db_session, order.id, listing.id) == ("pending_payment", 3, "requires_payment")
    assert db_session.scalar(select(func.count()).select_from(ProcessedWebhook)) == 0
    assert _types(db_session, order.id) == ["order.placed", "payment.intent_created"]


def test_an_unknown_intent_is_400_and_changes_nothing(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    event = event_for(payment_of(db_session, order.id), "succeeded")
    event["data"]["object"]["id"] = "pi_we_never_made"
    resp = _post(client, *signed(sandbox, event))
    assert resp.status_code == 400 and resp.json["error"]["code"] == "unknown_intent"
    assert _state(db_session, order.id, listing.id) == ("pending_payment", 3, "requires_payment")
    assert db_session.scalar(select(func.count()).select_from(ProcessedWebhook)) == 0


def test_a_failure_after_the_success_leaves_the_order_paid(client, db_session, sandbox, shop_order):
    _, order, listing = shop_order()
    payment = payment_of(db_session, order.id)
    assert _post(client, *signed(sandbox, event_for(payment, "succeeded"))).json["outcome"] == "paid"
    for kind in ("failed", "canceled"):
        resp = _post(client, *signed(sandbox, event_for(payment, kind)))
        assert resp.status_code == 200 and resp.json["outcome"] == "unchanged"
    assert _state(db_session, order.id, listing.id) == ("paid", 3, "succeeded")
    assert "payment.failed" not in _types(db_session, order.id)


def test_events_we_do_not_act_on_are_200(client, db_session, sandbox, shop_order):
    _, order, _listing = shop_order()
    event = event_for(payment_of(db_session, order.id), "succeeded")
    event["type"] = "charge.updated"
    resp = _post(client, *signed(sandbox, event))
    assert resp.status_code == 200 and resp.json["outcome"] == "ignored"


def test_a_body_that_is_not_an_event_is_400(client, sandbox):
    payload, headers = b"[1, 2]", sandbox.sign(b"[1, 2]", __import__("time").time().__int__())
    resp = _post(client, payload, headers)
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_payload"
