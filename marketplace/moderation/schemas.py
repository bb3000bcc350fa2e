"""Input and output schemas of the moderation API."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from marketplace.fields import TrimmedString
from marketplace.listings.schemas import REASON_LENGTH, ListingOut


class RejectIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(*REASON_LENGTH))


class QueueItem(ListingOut):
    shop_name = fields.String()
    city = fields.String()
    kelurahan = fields.String()


class QueueOut(Schema):
    items = fields.List(fields.Nested(QueueItem))


class DecisionOut(Schema):
    status = fields.String()
    reason = fields.String(allow_none=True)


class HistoryItem(Schema):
    id = fields.Integer()
    decision = fields.String()
    reason = fields.String(allow_none=True)
    moderator_id = fields.Integer()
    moderator_name = fields.String()
    decided_at = fields.DateTime()


class HistoryOut(Schema):
    listing_id = fields.Integer()
    status = fields.String()
    items = fields.List(fields.Nested(HistoryItem))
