"""What every event's data contract is built from: the base schema (unknown fields refused) and the field
makers for ids, rupiah and short texts. One place for ``events.schemas`` and the topic modules beside it
(``message_schemas``, ``review_schemas``, ``schemas_programme``)."""

from __future__ import annotations

from marshmallow import RAISE, Schema, fields, validate

from marketplace.fields import StrictInteger


def id_field() -> StrictInteger:
    return StrictInteger(required=True, validate=validate.Range(min=1))


def idr_field() -> StrictInteger:
    return StrictInteger(required=True, validate=validate.Range(min=0))


def text_field(max_len: int = 500) -> fields.String:
    return fields.String(required=True, validate=validate.Length(min=1, max=max_len))


class EventData(Schema):
    class Meta:
        unknown = RAISE
