"""Event contracts: every catalogued type has a schema; bad data and bad envelopes are refused clearly."""

from __future__ import annotations

import json
import uuid

import pytest

from events.catalogue import TOPICS, InvalidEvent, UnknownEventType, all_event_types, dlq_topic, topic_for
from events.envelope import build_envelope, decode, encode
from events.envelope import validate_envelope
from events.schemas import SCHEMAS, loads_as_json, schema_for, validate_data

APPROVED = {
    "listing_id": 12, "shop_id": 3, "title": "Batik tulis Kampung Kreatif", "price_idr": 350_000,
    "category": "batik", "city": "Tangerang Selatan", "kelurahan": "Pondok Ranji", "path": "/listings/12",
}

# One valid example per (type, version): also documents the contracts for the next engineers.
EXAMPLES = {
    "listing.submitted": {"listing_id": 12, "shop_id": 3, "title": "Tas anyaman", "price_idr": 125_000, "category": "anyaman"},
    "listing.approved": APPROVED,
    "listing.rejected": {"listing_id": 12, "shop_id": 3, "reason": "Photo is blurry"},
    "listing.updated": {"listing_id": 12, "shop_id": 3, "changed_fields": ["price_idr", "title"], "status": "pending_review"},
    "listing.sold_out": {"listing_id": 12, "shop_id": 3},
    "order.placed": {
        "order_id": 7, "buyer_id": 2, "subtotal_idr": 250_000, "shipping_idr": 20_000, "total_idr": 270_000,
        "seller_orders": [{"seller_order_id": 9, "shop_id": 3, "subtotal_idr": 250_000, "shipping_idr": 20_000,
                           "items": [{"listing_id": 4, "title": "Tas anyaman", "quantity": 1, "unit_price_idr": 125_000},
                                     {"listing_id": 5, "title": "Kemeja batik", "quantity": 1, "unit_price_idr": 125_000,
                                      "variant_id": 11, "options": {"ukuran": "L", "warna": "Biru"}}]}],
    },
    "order.paid": {"order_id": 7, "buyer_id": 2, "total_idr": 270_000, "seller_order_ids": [9]},
    "order.payment_failed": {"order_id": 7, "reason": "card_declined"},
    "order.cancelled": {"order_id": 7, "reason": "payment expired"},
    "order.shipped": {"order_id": 7, "seller_order_id": 9, "shop_id": 3, "courier": "JNE", "tracking_number": "JNE123"},
    "order.delivered": {"order_id": 7, "seller_order_id": 9, "shop_id": 3},
    "order.refund_requested": {"order_id": 7, "refund_id": 3, "seller_order_id": None, "amount_idr": 270_000,
                               "reason": "damaged"},
    "order.refunded": {"order_id": 7, "amount_idr": 270_000, "reason": "damaged"},
    "shipment.updated": {"order_id": 7, "seller_order_id": 9, "shop_id": 3, "status": "picked_up", "waybill": "SBXJNE1",
                         "occurred_at": "2025-03-01T10:00:00+00:00"},
    "order.payment_method_chosen": {"order_id": 7, "payment_id": 4, "method": "va_bca"},
    "order.late_payment_received": {"order_id": 7, "payment_id": 4, "amount_idr": 270_000},
    "payment.intent_created": {"order_id": 7, "payment_id": 4, "provider_ref": "pi_123", "amount_idr": 270_000},
    "payment.succeeded": {"order_id": 7, "payment_id": 4, "provider_ref": "pi_123", "amount_idr": 270_000},
    "payment.failed": {"order_id": 7, "payment_id": 4, "provider_ref": "pi_123", "reason": "card_declined"},
    "payment.refunded": {"order_id": 7, "payment_id": 4, "provider_ref": "pi_123", "amount_idr": 270_000},
    "payout.scheduled": {
        "payout_id": 5, "seller_order_id": 9, "shop_id": 3, "seller_id": 8, "amount_idr": 245_000,
        "commission_idr": 25_000, "due_at": "2025-03-01T10:00:00+00:00",
    },
    "payout.released": {"payout_id": 5, "shop_id": 3, "seller_id": 8, "amount_idr": 245_000, "seller_order_ids": [9]},
    "payout.paid": {"payout_id": 5, "seller_id": 8, "amount_idr": 245_000, "transfer_id": "tr_1"},
    "payout.failed": {"payout_id": 5, "seller_id": 8, "reason": "account closed"},
    "promotion.posted": {
        "promotion_id": 1, "listing_id": 12, "channel": "mastodon", "external_id": "1099",
        "url": "https://example.social/@pasar/1099",
    },
    "promotion.failed": {"promotion_id": 1, "listing_id": 12, "channel": "mastodon", "error": "429", "attempts": 3},
    "message.sent": {"conversation_id": 3, "message_id": 9, "sender_id": 4, "recipient_id": 5},
    "offer.sent": {"offer_id": 2, "conversation_id": 3, "listing_id": 14, "buyer_id": 4, "price_idr": 475_000},
    "offer.accepted": {"offer_id": 2, "conversation_id": 3, "listing_id": 14, "buyer_id": 4},
    "programme_event.published": {"programme_event_id": 4, "kind": "workshop", "city": "Bekasi", "sentra_id": None,
                                  "starts_at": "2026-12-14T02:00:00+00:00"},
    "programme_event.cancelled": {"programme_event_id": 4},
    "programme_event.rescheduled": {"programme_event_id": 4, "changed": ["starts_at", "venue"]},
    "registration.created": {"programme_event_id": 4, "registration_id": 8, "status": "waitlisted"},
    "registration.cancelled": {"programme_event_id": 4, "registration_id": 8, "status": "cancelled"},
    "registration.promoted": {"programme_event_id": 4, "registration_id": 8, "status": "registered"},
    "attendance.recorded": {"programme_event_id": 4, "registration_id": 8, "status": "attended"},
    "review.posted": {"review_id": 4, "listing_id": 12, "shop_id": 3, "order_item_id": 21, "rating": 5},
    "dispute.opened": {"dispute_id": 2, "order_id": 7, "seller_order_id": 11, "shop_id": 3, "reason": "damaged"},
    "dispute.resolved": {"dispute_id": 2, "order_id": 7, "seller_order_id": 11, "shop_id": 3, "outcome": "refund",
                         "refund_id": 5, "amount_idr": 50_000, "resolved_by": "artisan"},
    "review.replied": {"review_id": 4, "listing_id": 12, "shop_id": 3},
    "review.hidden": {"review_id": 4, "listing_id": 12, "shop_id": 3, "reason": "Bahasa kasar"},
}


def test_every_catalogued_type_has_a_v1_schema_and_an_example():
    assert set(all_event_types()) == {t for t, _ in SCHEMAS} == set(EXAMPLES)
    assert all(v == 1 for _, v in SCHEMAS)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_examples_validate_and_round_trip_as_json(event_type):
    data = validate_data(event_type, 1, EXAMPLES[event_type])
    assert json.loads(json.dumps(data)) == data
    assert data == EXAMPLES[event_type]


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_the_dump_is_skipped_exactly_where_it_would_change_nothing(event_type):
    """``record`` keeps what the schema loaded, without dumping it, when the schema says that is
    already JSON: it must say so for every event whose dump equals its load, and for no other (an
    event with a time in it would otherwise reach the outbox as a ``datetime``)."""
    schema = schema_for(event_type, 1)
    loaded = schema.load(EXAMPLES[event_type])
    assert loads_as_json(schema) == (schema.dump(loaded) == loaded)


def test_an_event_with_a_time_is_dumped_to_text():
    assert not loads_as_json(schema_for("payout.scheduled", 1))
    assert isinstance(validate_data("payout.scheduled", 1, EXAMPLES["payout.scheduled"])["due_at"], str)


@pytest.mark.parametrize("event_type", sorted(EXAMPLES))
def test_unknown_fields_are_rejected(event_type):
    with pytest.raises(InvalidEvent) as err:
        validate_data(event_type, 1, {**EXAMPLES[event_type], "surprise": 1})
    assert err.value.messages == {"data": {"surprise": ["Unknown field."]}}


@pytest.mark.parametrize("bad", ["12", 12.0, True, None, -1, 0])
def test_ids_must_be_positive_integers(bad):
    with pytest.raises(InvalidEvent) as err:
        validate_data("listing.sold_out", 1, {"listing_id": bad, "shop_id": 3})
    assert "listing_id" in err.value.messages["data"]


def test_missing_fields_and_negative_money_are_named():
    data = dict(APPROVED)
    del data["kelurahan"]
    data["price_idr"] = -5
    with pytest.raises(InvalidEvent) as err:
        validate_data("listing.approved", 1, data)
    assert set(err.value.messages["data"]) == {"kelurahan", "price_idr"}


def test_unknown_type_and_version_are_clear_errors():
    with pytest.raises(UnknownEventType, match="listing.teleported"):
        validate_data("listing.teleported", 1, {})
    with pytest.raises(InvalidEvent, match="no version 2"):
        validate_data("listing.approved", 2, APPROVED)
    with pytest.raises(InvalidEvent, match="must be an object"):
        validate_data("listing.approved", 1, ["not", "a", "dict"])  # type: ignore[arg-type]


def test_envelope_round_trip():
    env = build_envelope("listing.approved", 12, APPROVED, correlation_id="c-1")
    assert env["key"] == "12" and env["version"] == 1 and env["correlation_id"] == "c-1"
    assert env["occurred_at"].endswith("Z")
    uuid.UUID(env["id"])
    assert decode(encode(env)) == env


def test_build_envelope_refuses_invalid_data():
    with pytest.raises(InvalidEvent):
        build_envelope("listing.approved", 12, {**APPROVED, "price_idr": "350000"})


@pytest.mark.parametrize(
    ("mutate", "field"),
    [
        (lambda e: e.pop("id"), "id"),
        (lambda e: e.update(id="not-a-uuid"), "id"),
        (lambda e: e.update(version="1"), "version"),
        (lambda e: e.update(occurred_at="yesterday"), "occurred_at"),
        (lambda e: e.update(occurred_at="2025-01-01T00:00:00"), "occurred_at"),  # naive: refused
        (lambda e: e.update(extra=True), "extra"),
        (lambda e: e.update(data="x"), "data"),
    ],
)
def test_consumers_reject_malformed_envelopes(mutate, field):
    env = build_envelope("listing.approved", 12, APPROVED)
    mutate(env)
    with pytest.raises(InvalidEvent) as err:
        validate_envelope(env)
    assert field in err.value.messages


def test_consumers_reject_invalid_data_inside_a_valid_envelope():
    env = build_envelope("listing.approved", 12, APPROVED)
    env["data"]["path"] = "https://evil.example/"
    with pytest.raises(InvalidEvent, match="path"):
        validate_envelope(env)


@pytest.mark.parametrize("raw", [None, b"\xff\xfe", b"{not json", b"[]", b'"text"'])
def test_decode_refuses_what_is_not_an_envelope(raw):
    with pytest.raises(InvalidEvent):
        decode(raw)


def test_topics_and_dead_letter_topics():
    assert topic_for("order.paid") == "orders"
    assert topic_for("listing.approved") == "listings"
    assert dlq_topic("orders") == "orders.dlq"
    assert set(TOPICS) == {"listings", "orders", "payments", "payouts", "promotions", "messages", "programme",
                           "reviews"}
    with pytest.raises(UnknownEventType):
        topic_for("nope")
