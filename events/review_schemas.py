"""Schemas of the ``reviews`` topic (ARCHITECTURE.md §3; key: listing id): ids and the rating only, never
the buyer's words or name (§9: events carry ids where an id serves). Kept beside ``events.schemas``,
which merges :data:`REVIEW_SCHEMAS` into its table."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from events.schema_base import EventData
from events.schema_base import id_field as _id
from marketplace.fields import StrictInteger


class _ReviewData(EventData):
    review_id = _id()
    listing_id = _id()
    shop_id = _id()


class ReviewPostedV1(_ReviewData):
    order_item_id = _id()
    rating = StrictInteger(required=True, validate=validate.Range(min=1, max=5))


class ReviewRepliedV1(_ReviewData):
    pass


class ReviewHiddenV1(_ReviewData):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=1000))


REVIEW_SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("review.posted", 1): ReviewPostedV1,
    ("review.replied", 1): ReviewRepliedV1,
    ("review.hidden", 1): ReviewHiddenV1,
}
