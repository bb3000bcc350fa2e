"""The shipping quote's query and answer (the JSON API and the listing page's form share QuoteQuery)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from marketplace.db import MAX_ID
from marketplace.fields import OneLine, QuerySchema, TrimmedString
from marketplace.shipping import provinces
from marketplace.shipping.provinces import PROVINCE_MESSAGE
from marketplace.shipping.rates import ZONES

MAX_QUANTITY = 100
MAX_CITY_LENGTH = 80
QUANTITY_MESSAGE = "Enter a whole number from 1 to 100."
CITY_MESSAGE = "Enter the destination city (up to 80 characters)."
LISTING_MESSAGE = "Give the listing's id as a whole number."


class QuoteQuery(QuerySchema):
    """``GET /api/v1/shipping/quote`` parameters; empty values count as absent (GET forms send them)."""

    listing_id = fields.Integer(
        required=True, strict=False, validate=validate.Range(min=1, max=MAX_ID, error=LISTING_MESSAGE),
        error_messages={"required": LISTING_MESSAGE, "invalid": LISTING_MESSAGE},
    )
    quantity = fields.Integer(
        load_default=1, strict=False, validate=validate.Range(min=1, max=MAX_QUANTITY, error=QUANTITY_MESSAGE),
        error_messages={"invalid": QUANTITY_MESSAGE},
    )
    city = TrimmedString(
        required=True, validate=validate.Length(min=1, max=MAX_CITY_LENGTH, error=CITY_MESSAGE),
        error_messages={"required": CITY_MESSAGE},
    )
    province = OneLine(required=True, error_messages={"required": PROVINCE_MESSAGE})

    @validates("province")
    def _known_province(self, value: str, **_kw: Any) -> None:
        if provinces.canonical_province(value) is None:
            raise ValidationError(PROVINCE_MESSAGE)


class QuoteOut(Schema):
    zone = fields.String(metadata={"enum": list(ZONES)})
    origin_city = fields.String()
    weight_grams = fields.Integer()
    billable_kg = fields.Integer()
    shipping_idr = fields.Integer()
