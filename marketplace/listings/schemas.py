"""Input and output schemas of the listings API.

Money and quantities are strict integers: ``"150000"``, ``150000.0`` and ``true`` are all rejected
rather than coerced, because a client that sends them has a bug we want it to see. Unknown fields are
rejected (marshmallow's default ``RAISE``).
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.fields import StrictInteger, TrimmedString
from marketplace.listings.models import CATEGORIES, FULFILMENT_KINDS, ListingStatus

TITLE_LENGTH = (3, 140)
DESCRIPTION_MAX = 5000
PRICE_RANGE = (1_000, 1_000_000_000)
STOCK_RANGE = (0, 100_000)
WEIGHT_RANGE = (1, 50_000)
PROCESSING_DAYS_RANGE = (0, 90)
REASON_LENGTH = (3, 1000)


def _range(bounds: tuple[int, int]) -> validate.Range:
    return validate.Range(min=bounds[0], max=bounds[1])


class ListingIn(Schema):
    title = TrimmedString(required=True, validate=validate.Length(*TITLE_LENGTH))
    description = TrimmedString(required=True, validate=validate.Length(max=DESCRIPTION_MAX))
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    price_idr = StrictInteger(required=True, validate=_range(PRICE_RANGE))
    stock = StrictInteger(required=True, validate=_range(STOCK_RANGE))
    weight_grams = StrictInteger(required=True, validate=_range(WEIGHT_RANGE))
    fulfilment = fields.String(load_default="ready_to_ship", validate=validate.OneOf(FULFILMENT_KINDS))
    processing_days = StrictInteger(validate=_range(PROCESSING_DAYS_RANGE))

    @validates_schema
    def _made_to_order_needs_days(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("fulfilment") == "made_to_order" and not data.get("processing_days"):
            raise ValidationError("Made-to-order needs at least 1 processing day.", field_name="processing_days")


class ListingPatch(ListingIn):
    """Any subset of :class:`ListingIn`; the made-to-order rule is checked on the merged result by the service."""

    fulfilment = fields.String(validate=validate.OneOf(FULFILMENT_KINDS))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)

    @validates_schema
    def _made_to_order_needs_days(self, data: dict[str, Any], **kwargs: Any) -> None:
        return None


class ImageUploadIn(Schema):
    file = fields.Raw(required=True, metadata={"type": "string", "format": "binary"})


class ImageOut(Schema):
    id = fields.Integer()
    url = fields.String()
    thumb_url = fields.String()
    width = fields.Integer()
    height = fields.Integer()
    position = fields.Integer()


class ListingOut(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    price_idr = fields.Integer()
    stock = fields.Integer()
    weight_grams = fields.Integer()
    fulfilment = fields.String()
    processing_days = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in ListingStatus]})
    rejection_reason = fields.String(allow_none=True)
    path = fields.String()
    images = fields.List(fields.Nested(ImageOut))
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    submitted_at = fields.DateTime(allow_none=True)
    approved_at = fields.DateTime(allow_none=True)


class ListingList(Schema):
    items = fields.List(fields.Nested(ListingOut))
