"""The shipping quote's query and answer (the JSON API and the listing page's form share QuoteQuery)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates

from marketplace.db import MAX_ID
from marketplace.fields import OneLine, QuerySchema, TrimmedString
from marketplace.shipping import provinces
from marketplace.shipping.provinces import PROVINCE_DOC, PROVINCE_MESSAGE
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
    province = OneLine(required=True, error_messages={"required": PROVINCE_MESSAGE}, metadata=PROVINCE_DOC)

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


POSTAL_MESSAGE = "Enter a 5-digit Indonesian postal code."
LATITUDE_MESSAGE = "Enter a latitude between -11 and 6 (Indonesia)."
LONGITUDE_MESSAGE = "Enter a longitude between 95 and 141 (Indonesia)."


def postal_code_field(**kwargs: Any) -> fields.String:
    return fields.String(validate=validate.Regexp(r"^[1-9][0-9]{4}$", error=POSTAL_MESSAGE),
                         error_messages={"invalid": POSTAL_MESSAGE}, **kwargs)


def latitude_field(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=-11, max=6, error=LATITUDE_MESSAGE), allow_nan=False,
                        error_messages={"invalid": LATITUDE_MESSAGE}, **kwargs)


def longitude_field(**kwargs: Any) -> fields.Float:
    return fields.Float(validate=validate.Range(min=95, max=141, error=LONGITUDE_MESSAGE), allow_nan=False,
                        error_messages={"invalid": LONGITUDE_MESSAGE}, **kwargs)


class RatesQuery(QuerySchema):
    """``GET /api/v1/shipping/rates``: a destination, and a listing (anyone) or else the buyer's cart."""

    destination_city = TrimmedString(
        required=True, validate=validate.Length(min=1, max=MAX_CITY_LENGTH, error=CITY_MESSAGE),
        error_messages={"required": CITY_MESSAGE})
    province = OneLine(required=True, error_messages={"required": PROVINCE_MESSAGE}, metadata=PROVINCE_DOC)
    postal_code = postal_code_field()
    latitude = latitude_field()
    longitude = longitude_field()
    listing_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID, error=LISTING_MESSAGE),
                                error_messages={"invalid": LISTING_MESSAGE})
    variant_id = fields.Integer(strict=False, validate=validate.Range(min=1, max=MAX_ID))
    quantity = fields.Integer(
        load_default=1, strict=False, validate=validate.Range(min=1, max=MAX_QUANTITY, error=QUANTITY_MESSAGE),
        error_messages={"invalid": QUANTITY_MESSAGE})

    @validates("province")
    def _known_province(self, value: str, **_kw: Any) -> None:
        if provinces.canonical_province(value) is None:
            raise ValidationError(PROVINCE_MESSAGE)


class RateOptionOut(Schema):
    code = fields.String(metadata={"example": "jne:reg"})
    courier = fields.String()
    service = fields.String()
    courier_name = fields.String()
    service_name = fields.String()
    price_idr = fields.Integer()
    etd_days = fields.Integer(metadata={"description": "estimated days on the way (0: the same day)"})


class ShopRatesOut(Schema):
    shop_id = fields.Integer()
    weight_grams = fields.Integer()
    fallback = fields.Boolean(metadata={"description": "the courier did not answer: last known or table prices"})
    cheapest = fields.String()
    fastest = fields.String()
    options = fields.List(fields.Nested(RateOptionOut))


class RatesOut(Schema):
    shops = fields.List(fields.Nested(ShopRatesOut))
    options = fields.List(fields.Nested(RateOptionOut))
    cheapest = fields.Nested(RateOptionOut, allow_none=True)
    fastest = fields.Nested(RateOptionOut, allow_none=True)
    fallback = fields.Boolean()


class TrackingEntryOut(Schema):
    status = fields.String()
    note = fields.String()
    at = fields.DateTime(attribute="occurred_at")


class TrackingOut(Schema):
    seller_order_id = fields.Integer()
    status = fields.String(allow_none=True, metadata={"enum": ["confirmed", "picked_up", "in_transit",
                                                               "delivered", "returned"]})
    waybill = fields.String(allow_none=True)
    courier = fields.String(allow_none=True)
    service = fields.String(allow_none=True)
    history = fields.List(fields.Nested(TrackingEntryOut))


class AdvanceIn(Schema):
    """The status a sandbox shipment moves to; absent: the next one after where it is."""

    status = fields.String(validate=validate.OneOf(("confirmed", "picked_up", "in_transit", "delivered", "returned")))
