"""Promotion API schemas: the admins' filters and what each promotion shows (one rule set, also used
by the admin page's filter form)."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.db import MAX_ID
from marketplace.fields import QuerySchema
from marketplace.promotion.posts.models import CHANNEL_NAMES, PromotionStatus


class PromotionsQuery(QuerySchema):
    listing_id = fields.Integer(validate=validate.Range(min=1, max=MAX_ID))
    channel = fields.String(validate=validate.OneOf(CHANNEL_NAMES))
    status = fields.String(validate=validate.OneOf([s.value for s in PromotionStatus]))


class PromotionOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    channel = fields.String()
    status = fields.String()
    url = fields.String(allow_none=True)
    attempts = fields.Integer()
    error = fields.String(allow_none=True)
    created_at = fields.DateTime()
    posted_at = fields.DateTime(allow_none=True)


class PromotionList(Schema):
    items = fields.List(fields.Nested(PromotionOut))
