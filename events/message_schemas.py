"""The ``messages`` topic's data contracts (key: conversation id). Ids only: a message's text is personal
data (ARCHITECTURE.md §9), so consumers read it from the database, where only the two parties may."""

from __future__ import annotations

from marshmallow import Schema, validate

from events.schema_base import EventData as _Data
from events.schema_base import id_field as _id
from marketplace.fields import StrictInteger


class MessageSentV1(_Data):
    conversation_id = _id()
    message_id = _id()
    sender_id = _id()
    recipient_id = _id()


class OfferSentV1(_Data):
    offer_id = _id()
    conversation_id = _id()
    listing_id = _id()
    buyer_id = _id()
    price_idr = StrictInteger(required=True, validate=validate.Range(min=1))


class OfferAcceptedV1(_Data):
    offer_id = _id()
    conversation_id = _id()
    listing_id = _id()
    buyer_id = _id()


SCHEMAS: dict[tuple[str, int], type[Schema]] = {
    ("message.sent", 1): MessageSentV1,
    ("offer.sent", 1): OfferSentV1,
    ("offer.accepted", 1): OfferAcceptedV1,
}
