"""Input and output schemas of the shops API (unknown fields are rejected: marshmallow's RAISE)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class ShopIn(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=120))
    description = fields.String(load_default="", validate=validate.Length(max=4000))
    city = fields.String(required=True, validate=validate.Length(min=1, max=80))
    kelurahan = fields.String(required=True, validate=validate.Length(min=1, max=80))
    sentra = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=120))


class ShopPatch(Schema):
    """Every field optional; only the ones sent change."""

    name = fields.String(validate=validate.Length(min=1, max=120))
    description = fields.String(validate=validate.Length(max=4000))
    city = fields.String(validate=validate.Length(min=1, max=80))
    kelurahan = fields.String(validate=validate.Length(min=1, max=80))
    sentra = fields.String(allow_none=True, validate=validate.Length(max=120))


class ShopOut(Schema):
    id = fields.Integer()
    name = fields.String()
    slug = fields.String()
    description = fields.String()
    city = fields.String()
    kecamatan = fields.String(allow_none=True)
    kelurahan = fields.String()
    sentra = fields.String(allow_none=True)
    owner_id = fields.Integer()
    created_at = fields.DateTime()
    approved_listings_count = fields.Integer()
