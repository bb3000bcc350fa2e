"""Schemas of the ``payouts`` and ``promotions`` topics (ARCHITECTURE.md §3), kept beside
``events.schemas`` (which merges them into its one table) as the other topics' are."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.schema_base import EventData
from events.schema_base import id_field as _id
from events.schema_base import idr_field as _idr
from events.schema_base import text_field as _text
from marketplace.fields import StrictInteger


# --- payouts (key: seller id) ------------------------------------------------------------------------


def _ids() -> fields.List:
    return fields.List(StrictInteger(validate=validate.Range(min=1)), validate=validate.Length(min=1))


class PayoutScheduledV1(EventData):
    """A delivered seller order's payout, due at ``due_at`` (``PAYOUT_HOLD_HOURS`` later)."""

    payout_id = _id()
    seller_order_id = _id()
    shop_id = _id()
    seller_id = _id()
    amount_idr = _idr()
    commission_idr = _idr()
    due_at = fields.AwareDateTime(required=True, format="iso")
    order_id = StrictInteger(validate=validate.Range(min=1))  # optional: added with the payouts feature


class PayoutReleasedV1(EventData):
    """A due payout's amount is fixed and in transit: the payouts worker sends it (``generation``
    says which send of it, so a retry after a failure is a new event and a new transfer)."""

    payout_id = _id()
    shop_id = _id()
    seller_id = _id()
    amount_idr = StrictInteger(required=True, validate=validate.Range(min=1))
    seller_order_ids = _ids()
    generation = StrictInteger(validate=validate.Range(min=0))


class PayoutPaidV1(EventData):
    """The money reached the artisan's account. The optional fields (added with the payouts feature)
    are what the artisan's notification shows: the amount, its orders, the commission kept."""

    payout_id = _id()
    seller_id = _id()
    amount_idr = _idr()
    transfer_id = _text(255)
    shop_id = StrictInteger(validate=validate.Range(min=1))
    order_id = StrictInteger(validate=validate.Range(min=1))
    seller_order_ids = _ids()
    commission_idr = StrictInteger(validate=validate.Range(min=0))


class PayoutFailedV1(EventData):
    """A payout the provider refused (the admins are told the reason); ``account_needs_fix``: the
    artisan must correct their payout account before it can be retried."""

    payout_id = _id()
    seller_id = _id()
    reason = _text()
    shop_id = StrictInteger(validate=validate.Range(min=1))
    amount_idr = StrictInteger(validate=validate.Range(min=0))
    seller_order_ids = _ids()
    account_needs_fix = fields.Boolean()


# --- promotions (key: listing id) --------------------------------------------------------------------


class PromotionPostedV1(EventData):
    promotion_id = _id()
    listing_id = _id()
    channel = _text(32)
    external_id = _text(255)
    url = fields.Url(required=True, require_tld=False)  # an intranet host (http://web:8000) is a URL too


class PromotionFailedV1(EventData):
    promotion_id = _id()
    listing_id = _id()
    channel = _text(32)
    error = _text(2000)
    attempts = StrictInteger(required=True, validate=validate.Range(min=1))


PAYOUT_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("payout.scheduled", 1): PayoutScheduledV1,
    ("payout.released", 1): PayoutReleasedV1,
    ("payout.paid", 1): PayoutPaidV1,
    ("payout.failed", 1): PayoutFailedV1,
    ("promotion.posted", 1): PromotionPostedV1,
    ("promotion.failed", 1): PromotionFailedV1,
}
