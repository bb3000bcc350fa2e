"""Sentra input rules (the one definition, for the API and the admin pages) and output schemas.

The place is the programme's canonical (city, kelurahan), by the shops' one place rule
(:class:`marketplace.shops.schemas.PlaceRule`); a PATCH may not move a sentra (its shops are in that
kelurahan), so it has no place fields.
"""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.db import MAX_ID
from marketplace.fields import REQUIRED, OneLine, PatchSchema, QuerySchema, TrimmedString, UploadedFile, WholeNumber
from marketplace.media.storage import public_url
from marketplace.shops import places
from marketplace.shops.schemas import PlaceRule, city_field, kelurahan_field

#: What a sentra makes (its focus); the public pages show them translated.
FOCUSES = ("batik", "anyaman", "kuliner_kemasan", "tenun", "gerabah", "kayu", "kulit", "fesyen", "lainnya")
NAME_MAX = 120
STORY_MAX = 8000
NAME_MESSAGE = "Use at most 120 characters."
STORY_MESSAGE = "Use at most 8000 characters."
FOCUS_MESSAGE = "Choose one of the listed focuses."
ID_MESSAGE = "Not a valid id."


class _SentraFields(Schema):
    name = OneLine(required=True, validate=[validate.Length(min=1, error=REQUIRED),
                                            validate.Length(max=NAME_MAX, error=NAME_MESSAGE)])
    focus = fields.String(required=True, validate=validate.OneOf(FOCUSES, error=FOCUS_MESSAGE))
    story = TrimmedString(load_default="", validate=validate.Length(max=STORY_MAX, error=STORY_MESSAGE))


class SentraIn(PlaceRule, _SentraFields):
    """A new sentra: ``POST /api/v1/admin/sentra`` and the admin's new-sentra form."""

    city = city_field()
    kelurahan = kelurahan_field()


class SentraPatch(_SentraFields, PatchSchema):
    """``PATCH /api/v1/admin/sentra/<id>``: name, focus or story (a sentra does not move)."""


class ShopAdminPatch(PatchSchema):
    """``PATCH /api/v1/admin/shops/<id>``: put the shop in a sentra of its kelurahan (``null``: in none)."""

    sentra_id = WholeNumber(required=True, allow_none=True,
                            validate=validate.Range(min=1, max=MAX_ID, error=ID_MESSAGE))


class SentraQuery(QuerySchema):
    """``GET /api/v1/sentra`` filters: a city and/or kelurahan (canonical spelling applied)."""

    city = OneLine(validate=validate.Length(max=80), metadata=places.CITY_DOC)
    kelurahan = OneLine(validate=validate.Length(max=80), metadata=places.KELURAHAN_DOC)

    @validates_schema
    def _place(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("city"):
            city = places.canonical_city(data["city"])
            if city is None:
                raise ValidationError(places.CITY_MESSAGE, field_name="city")
            data["city"] = city
        if data.get("kelurahan"):
            found = places.city_of_kelurahan(data["kelurahan"])
            if found is None or (data.get("city") and found[0] != data["city"]):
                raise ValidationError(places.KELURAHAN_MESSAGE, field_name="kelurahan")
            data["kelurahan"] = found[1]


class PhotoUploadIn(Schema):
    file = UploadedFile(required=True)


def _url(key: str | None) -> str | None:
    return public_url(key) if key else None


class SentraOut(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    city = fields.String()
    kelurahan = fields.String()
    focus = fields.String()
    story = fields.String()
    photo_url = fields.Function(lambda s: _url(s.photo_key), metadata={"type": "string", "nullable": True})
    photo_thumb_url = fields.Function(lambda s: _url(s.photo_thumb_key),
                                      metadata={"type": "string", "nullable": True})
    shop_count = fields.Integer(metadata={"description": "shops in the sentra that are not suspended"})


class SentraList(Schema):
    items = fields.List(fields.Nested(SentraOut))
