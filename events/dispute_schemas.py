"""Schemas of the disputes' events on the ``orders`` topic (ARCHITECTURE.md §3; key: order id): ids, the
reason and the outcome only, never the buyer's words (§9: events carry ids where an id serves). Kept
beside ``events.schemas``, which merges :data:`DISPUTE_SCHEMAS` into its table."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.schema_base import EventData
from events.schema_base import id_field as _id
from events.schema_base import idr_field as _idr
from marketplace.fields import StrictInteger


class _DisputeData(EventData):
    dispute_id = _id()
    order_id = _id()
    seller_order_id = _id()
    shop_id = _id()


class DisputeOpenedV1(_DisputeData):
    reason = fields.String(required=True, validate=validate.OneOf(
        ("not_received", "damaged", "not_as_described", "wrong_item")))


class DisputeResolvedV1(_DisputeData):
    """``refund`` (``refund_id`` and ``amount_idr`` of the refund asked for; ``order.refunded`` follows
    once the gateway confirms it) or ``reject`` (``amount_idr`` 0), by the shop's artisan or an admin."""

    outcome = fields.String(required=True, validate=validate.OneOf(("refund", "reject")))
    refund_id = StrictInteger(required=True, allow_none=True, validate=validate.Range(min=1))
    amount_idr = _idr()
    resolved_by = fields.String(required=True, validate=validate.OneOf(("artisan", "admin")))


DISPUTE_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("dispute.opened", 1): DisputeOpenedV1,
    ("dispute.resolved", 1): DisputeResolvedV1,
}
