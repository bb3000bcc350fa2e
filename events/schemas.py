"""Versioned marshmallow schemas: the data contract of every ``(event type, version)``.

Producers validate before writing to the outbox (``events.outbox.record``) so a malformed event never
leaves the building; consumers validate again (``events.envelope.validate_envelope``) because a topic may carry events
from an older or newer producer, and what does not validate goes to the DLQ instead of crashing a
handler halfway. Unknown fields are rejected (``RAISE``): adding a field is a new version, not a
silent change. Money is integer rupiah (``*_idr``), ids are integers, keys are strings.

Schemas are classes; instances are built on first use (never at import time) and cached.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from marshmallow import Schema, ValidationError, fields, missing, validate

from marketplace.fields import StrictInteger
from events.catalogue import InvalidEvent, UnknownEventType, all_event_types
from events.schema_base import EventData
from events.schema_check import check_for
from events.schema_base import id_field as _id
from events.schema_base import idr_field as _idr
from events.schema_base import text_field as _text
from events.message_schemas import SCHEMAS as MESSAGE_SCHEMAS
from events.payout_schemas import PAYOUT_SCHEMAS
from events.schemas_programme import PROGRAMME_SCHEMAS
from events.review_schemas import REVIEW_SCHEMAS
from events.dispute_schemas import DISPUTE_SCHEMAS


# --- listings (contracts fixed with the listings engineer) -------------------------------------------


class ListingSubmittedV1(EventData):
    listing_id = _id()
    shop_id = _id()
    title = _text(140)
    price_idr = _idr()
    category = _text(40)


class ListingApprovedV1(ListingSubmittedV1):
    city = _text(100)
    kelurahan = _text(100)
    path = fields.String(required=True, validate=validate.Regexp(r"^/listings/\d+$"))


class ListingRejectedV1(EventData):
    listing_id = _id()
    shop_id = _id()
    reason = _text(1000)


class ListingUpdatedV1(EventData):
    listing_id = _id()
    shop_id = _id()
    changed_fields = fields.List(fields.String(validate=validate.Length(min=1, max=64)), required=True)
    status = _text(32)


class ListingSoldOutV1(EventData):
    listing_id = _id()
    shop_id = _id()


# --- orders ------------------------------------------------------------------------------------------


class OrderItemLine(EventData):
    listing_id = _id()
    title = _text(140)
    quantity = StrictInteger(required=True, validate=validate.Range(min=1))
    unit_price_idr = _idr()
    #: Optional (issue #24): the variant bought and its options as bought; absent for a listing
    #: without variants and in events written before variants existed, which stay valid.
    variant_id = StrictInteger(validate=validate.Range(min=1))
    options = fields.Dict(keys=fields.String(validate=validate.Length(min=1, max=30)),
                          values=fields.String(validate=validate.Length(min=1, max=30)))


class SellerOrderLine(EventData):
    seller_order_id = _id()
    shop_id = _id()
    subtotal_idr = _idr()
    shipping_idr = _idr()
    items = fields.List(fields.Nested(OrderItemLine), required=True, validate=validate.Length(min=1))


class DiscountLine(EventData):
    """What the order's voucher took off one seller order, and who pays it (``marketplace.vouchers``)."""

    code = _text(32)
    funded_by = fields.String(required=True, validate=validate.OneOf(["shop", "programme"]))
    shop_id = _id()
    seller_order_id = _id()
    amount_idr = StrictInteger(required=True, validate=validate.Range(min=0))


class OrderPlacedV1(EventData):
    """``discount_idr`` and ``discounts`` are there when a voucher was used (optional: events from
    before vouchers, and orders without one, have neither; ``subtotal_idr`` is after the discount)."""

    order_id = _id()
    buyer_id = _id()
    subtotal_idr = _idr()
    shipping_idr = _idr()
    total_idr = _idr()
    seller_orders = fields.List(fields.Nested(SellerOrderLine), required=True, validate=validate.Length(min=1))
    discount_idr = StrictInteger(validate=validate.Range(min=0))
    discounts = fields.List(fields.Nested(DiscountLine))
    #: A booth sale (issue #27): ``pickup`` and the programme event it was rung up at (optional).
    fulfilment = fields.String(validate=validate.OneOf(["pickup"]))
    programme_event_id = StrictInteger(validate=validate.Range(min=1))


class OrderPaidV1(EventData):
    order_id = _id()
    buyer_id = _id()
    total_idr = _idr()
    seller_order_ids = fields.List(StrictInteger(validate=validate.Range(min=1)), required=True)


class OrderPaymentFailedV1(EventData):
    order_id = _id()
    reason = _text()


class OrderCancelledV1(EventData):
    """The whole order (no ``seller_order_id``: payment failed or expired), or one artisan's part of a
    paid order (``seller_order_id``, with the ``refund_idr`` the buyer is owed for it)."""

    order_id = _id()
    reason = _text()
    seller_order_id = StrictInteger(validate=validate.Range(min=1))
    shop_id = StrictInteger(validate=validate.Range(min=1))
    refund_idr = StrictInteger(validate=validate.Range(min=0))


class OrderShippedV1(EventData):
    order_id = _id()
    seller_order_id = _id()
    shop_id = _id()
    courier = _text(64)
    tracking_number = _text(64)


class OrderDeliveredV1(EventData):
    order_id = _id()
    seller_order_id = _id()
    shop_id = _id()


class ShipmentUpdatedV1(EventData):
    """A courier's tracking status of one seller order (issue #25), the furthest it reached."""

    order_id = _id()
    seller_order_id = _id()
    shop_id = _id()
    status = fields.String(required=True, validate=validate.OneOf(
        ("confirmed", "picked_up", "in_transit", "delivered", "returned")))
    waybill = fields.String(required=True, allow_none=True, validate=validate.Length(max=64))
    occurred_at = fields.String(required=True, validate=validate.Length(min=1, max=40))


class OrderRefundRequestedV1(EventData):
    """A refund was asked for (an admin, or an artisan cancelling their part before shipping): the
    whole order (``seller_order_id`` null) or one seller order. The payments worker sends it to the
    gateway; ``order.refunded`` follows once the gateway confirms the money moved."""

    order_id = _id()
    refund_id = _id()
    seller_order_id = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1))
    amount_idr = StrictInteger(required=True, validate=validate.Range(min=1))
    reason = _text()


class OrderRefundedV1(EventData):
    """The gateway confirmed a refund. ``refund_id`` and ``seller_order_id`` (null: the whole order) say
    which one, for the ledger and the notifier; optional, as the first contract named only the rest."""

    order_id = _id()
    amount_idr = _idr()
    reason = _text()
    refund_id = StrictInteger(validate=validate.Range(min=1))
    seller_order_id = StrictInteger(allow_none=True, validate=validate.Range(min=1))


# --- payments (key: order id) ------------------------------------------------------------------------


class OrderPaymentMethodChosenV1(EventData):
    """The buyer chose how to pay (``POST /orders/<id>/pay``): the payments worker makes this attempt."""

    order_id = _id()
    payment_id = _id()
    method = _text(20)


class OrderLatePaymentReceivedV1(EventData):
    """Money came in for an attempt that may not pay the order: the payments worker gives it back."""

    order_id = _id()
    payment_id = _id()
    amount_idr = _idr()


class PaymentIntentCreatedV1(EventData):
    order_id = _id()
    payment_id = _id()
    provider_ref = _text(255)
    amount_idr = _idr()


class PaymentSucceededV1(PaymentIntentCreatedV1):
    pass


class PaymentFailedV1(EventData):
    order_id = _id()
    payment_id = _id()
    provider_ref = _text(255)
    reason = _text()


class PaymentRefundedV1(PaymentIntentCreatedV1):
    pass


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("listing.submitted", 1): ListingSubmittedV1,
    ("listing.approved", 1): ListingApprovedV1,
    ("listing.rejected", 1): ListingRejectedV1,
    ("listing.updated", 1): ListingUpdatedV1,
    ("listing.sold_out", 1): ListingSoldOutV1,
    ("order.placed", 1): OrderPlacedV1,
    ("order.paid", 1): OrderPaidV1,
    ("order.payment_failed", 1): OrderPaymentFailedV1,
    ("order.cancelled", 1): OrderCancelledV1,
    ("order.shipped", 1): OrderShippedV1,
    ("order.delivered", 1): OrderDeliveredV1,
    ("order.refund_requested", 1): OrderRefundRequestedV1,
    ("order.refunded", 1): OrderRefundedV1,
    ("shipment.updated", 1): ShipmentUpdatedV1,
    ("order.payment_method_chosen", 1): OrderPaymentMethodChosenV1,
    ("order.late_payment_received", 1): OrderLatePaymentReceivedV1,
    ("payment.intent_created", 1): PaymentIntentCreatedV1,
    ("payment.succeeded", 1): PaymentSucceededV1,
    ("payment.failed", 1): PaymentFailedV1,
    ("payment.refunded", 1): PaymentRefundedV1,
    **PAYOUT_SCHEMAS,
    **MESSAGE_SCHEMAS,
    **PROGRAMME_SCHEMAS,
    **REVIEW_SCHEMAS,
    **DISPUTE_SCHEMAS,
}


@lru_cache(maxsize=None)
def schema_for(event_type: str, version: int) -> Schema:
    """The (cached) schema instance of ``(event_type, version)``; ``InvalidEvent`` if there is none."""
    if event_type not in all_event_types():
        raise UnknownEventType(f"unknown event type {event_type!r}")
    cls = SCHEMAS.get((event_type, version))
    if cls is None:
        known = sorted(v for t, v in SCHEMAS if t == event_type)
        raise InvalidEvent(f"{event_type} has no version {version!r} (known: {known})", {"version": ["unknown"]})
    return cls()


def validate_data(event_type: str, version: int, data: dict[str, Any]) -> dict[str, Any]:
    """Check ``data`` against its schema and return it in its JSON form (load, then dump; or ``data``
    itself when the schema's compiled check, ``events.schema_check``, finds it valid and plain JSON).

    Raises ``UnknownEventType`` / ``InvalidEvent`` (both ``ValueError``) with per-field messages.
    """
    schema = schema_for(event_type, version)
    if not isinstance(data, dict):
        raise InvalidEvent(f"{event_type} v{version}: data must be an object", {"data": ["not an object"]})
    check = check_for(schema)  # valid and already what marshmallow would load: ``data`` itself (issue #24)
    if check is not None and check(data):
        return data
    try:
        loaded = schema.load(data)
    except ValidationError as err:
        raise InvalidEvent(f"{event_type} v{version}: invalid data: {err.messages}", {"data": err.messages}) from err
    return loaded if loads_as_json(schema) else schema.dump(loaded)


#: Fields that load a JSON value as an equal JSON value (exact types: ``fields.UUID`` is a ``String``).
_JSON_FIELDS = frozenset({fields.Integer, StrictInteger, fields.String, fields.Url, fields.Boolean})


def loads_as_json(schema: Schema) -> bool:
    """Whether what ``schema`` loads is already its JSON form, so ``dump`` would hand back an equal
    copy: every field (through lists and nested schemas) loads a JSON scalar as itself (integers,
    text, booleans; not dates or UUIDs), under its own name, with no dump-only default and no hooks.
    Most events are ids, rupiah and text: their ``record`` skips the dump (issue #15: a checkout's
    ``order.placed`` spent a third of its validation there)."""
    return _loads_as_json(type(schema))


@lru_cache(maxsize=None)
def _loads_as_json(cls: type[Schema]) -> bool:
    schema = cls()
    return not any(schema._hooks.values()) and all(_field_loads_as_json(f) for f in schema.fields.values())


def _field_loads_as_json(field: fields.Field) -> bool:
    if field.data_key is not None or field.attribute is not None or field.dump_default is not missing:
        return False
    if isinstance(field, fields.List):
        return _field_loads_as_json(field.inner)
    if isinstance(field, fields.Nested):
        nested = field.schema
        return not (field.only or field.exclude) and _loads_as_json(type(nested))
    if type(field) is fields.Dict:  # an object of JSON scalars (an item's variant options)
        return all(inner is not None and _field_loads_as_json(inner) for inner in (field.key_field, field.value_field))
    return type(field) in _JSON_FIELDS
