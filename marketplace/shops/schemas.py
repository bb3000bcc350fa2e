"""Shop input rules (the one definition, for the API and the shop pages) and output schemas.

Unknown fields are rejected (marshmallow's RAISE). Input shaping happens here: names trimmed with
whitespace collapsed, and the place is spelled the canonical way
(:func:`marketplace.shops.places.clean_place`, the one place rule). A PATCH that sends only the city
or only the kelurahan is checked by the service against the stored other half, with that same rule.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, pre_load, validate, validates_schema

from marketplace.fields import REQUIRED, OneLine, PatchSchema, Text, TrimmedString
from marketplace.shops import places
from marketplace.shipping.schemas import latitude_field, longitude_field, postal_code_field

NAME_MAX = 120
DESCRIPTION_MAX = 4000
NAME_MESSAGE = "Use at most 120 characters."
DESCRIPTION_MESSAGE = "Use at most 4000 characters."
PICKUP_ADDRESS_MAX = 200
PICKUP_MESSAGE = "Use at most 200 characters."
COORDINATES_MESSAGE = "Give both the latitude and the longitude, or neither."


def city_field() -> Text:
    """A place's city: required, its message the place rule's."""
    return Text(required=True, error_messages={"required": places.CITY_MESSAGE, "null": places.CITY_MESSAGE},
                metadata=places.CITY_DOC)


def kelurahan_field() -> Text:
    """A place's kelurahan: required, its message the place rule's."""
    return Text(required=True, error_messages={"required": places.KELURAHAN_MESSAGE, "null": places.KELURAHAN_MESSAGE},
                metadata=places.KELURAHAN_DOC)


class PlaceRule:
    """The one place rule on a schema with ``city`` and ``kelurahan`` (a shop's, a sentra's): together
    they must be a kelurahan of a city of the programme (:func:`~marketplace.shops.places.clean_place`),
    and are loaded in its canonical spelling. A PATCH that sends the city alone gets the city checked
    and spelled; the service checks it against the stored kelurahan."""

    OPENAPI = places.PLACE_DOC

    @validates_schema
    def _place(self, data: dict[str, Any], **_kw: Any) -> None:
        if "city" in data and "kelurahan" in data:
            _check_place(data["city"], data["kelurahan"])
        elif "city" in data and places.canonical_city(data["city"]) is None:  # a PATCH of the city alone
            raise ValidationError(places.CITY_MESSAGE, field_name="city")

    @post_load
    def _shape_place(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if "city" in data and "kelurahan" in data:
            data["city"], data["kelurahan"] = places.clean_place(data["city"], data["kelurahan"])
        elif "city" in data:
            data["city"] = places.canonical_city(data["city"])
        return data


def _check_place(city: str, kelurahan: str) -> None:
    try:
        places.clean_place(city, kelurahan)
    except places.PlaceError as err:
        raise ValidationError(err.message, field_name=err.field) from None


class ShopIn(PlaceRule, Schema):
    """A whole shop, as ``POST /api/v1/shops`` and the open-shop and edit-shop pages send it.

    No sentra: admins put a shop in a sentra of its kelurahan (``PATCH /api/v1/admin/shops/<id>``)."""

    name = OneLine(required=True, validate=[validate.Length(min=1, error=REQUIRED),
                                            validate.Length(max=NAME_MAX, error=NAME_MESSAGE)])
    description = TrimmedString(load_default="", validate=validate.Length(max=DESCRIPTION_MAX, error=DESCRIPTION_MESSAGE))
    city = city_field()
    kelurahan = kelurahan_field()
    #: Where couriers pick parcels up (issue #25); optional, the coordinates only for instant couriers.
    pickup_address = TrimmedString(allow_none=True, validate=validate.Length(max=PICKUP_ADDRESS_MAX, error=PICKUP_MESSAGE))
    #: blank is no postal code (the form sends every field)
    pickup_postal_code = postal_code_field(allow_none=True, metadata={"pattern": r"^(?:[1-9][0-9]{4}|[ \t\n\r]*)$"})
    pickup_latitude = latitude_field(allow_none=True)
    pickup_longitude = longitude_field(allow_none=True)

    @pre_load
    def _blank_is_none(self, data: Any, **_kw: Any) -> Any:
        """A pickup field left blank on the form is no value (the pickup address is optional)."""
        if isinstance(data, dict):
            return {k: (None if k.startswith("pickup_") and isinstance(v, str) and not v.strip() else v)
                    for k, v in data.items()}
        return data

    #: Both coordinates or neither (null is neither), as the OpenAPI document says.
    OPENAPI = {"anyOf": [
        {"required": ["pickup_latitude", "pickup_longitude"],
         "properties": {"pickup_latitude": {"type": "number"}, "pickup_longitude": {"type": "number"}}},
        {"properties": {"pickup_latitude": {"enum": [None]}, "pickup_longitude": {"enum": [None]}}}]}

    @validates_schema
    def _both_coordinates(self, data: dict[str, Any], **_kw: Any) -> None:
        if (data.get("pickup_latitude") is None) != (data.get("pickup_longitude") is None):
            raise ValidationError(COORDINATES_MESSAGE, field_name="pickup_longitude")


class ShopPatch(PatchSchema, ShopIn):
    """Every field optional; only the ones sent change (at least one)."""


class ShopOut(Schema):
    """A :class:`~marketplace.shops.models.Shop` as the API shows it.

    Dumps ``{"shop": Shop, "approved_listings_count": int}``: the count is a read query the entry
    point runs (a dict, not a tuple: a view's tuple would be read as ``(body, status)``).
    """

    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    description = fields.String()
    city = fields.String()
    kecamatan = fields.Method("_kecamatan", allow_none=True, metadata={"type": "string"})
    kelurahan = fields.String()
    sentra = fields.String(attribute="sentra_name", allow_none=True,
                           metadata={"description": "the name of the shop's sentra (null: none)"})
    sentra_id = fields.Integer(allow_none=True)
    owner_id = fields.Integer()
    created_at = fields.DateTime()
    pickup_postal_code = fields.String(allow_none=True)
    approved_listings_count = fields.Integer()
    rating = fields.Dict(metadata={"description": "{average, count} of the shop's visible reviews (GET only)"})

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        if attr in ("approved_listings_count", "rating"):
            return obj.get(attr, default)
        return super().get_attribute(obj["shop"], attr, default)

    def _kecamatan(self, obj: Any) -> str | None:
        shop = obj["shop"]
        return places.kecamatan_of(shop.city, shop.kelurahan)


class AdminShopOut(Schema):
    """A shop as the admins' operations see it."""

    id = fields.Integer()
    name = fields.String()
    city = fields.String()
    kelurahan = fields.String()
    sentra_id = fields.Integer(allow_none=True)
    suspended_at = fields.DateTime(allow_none=True)
    suspension_reason = fields.String(allow_none=True)


SUSPEND_REASON_MESSAGE = "Give a reason of 3 to 1000 characters."


class SuspendIn(Schema):
    """Why a shop is suspended (kept in the audit log and shown to admins): 3 to 1000 characters."""

    reason = TrimmedString(required=True, validate=validate.Length(3, 1000, error=SUSPEND_REASON_MESSAGE),
                           error_messages={"required": SUSPEND_REASON_MESSAGE, "null": SUSPEND_REASON_MESSAGE})
