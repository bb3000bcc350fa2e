"""Messaging input rules (the one definition for the API and the chat pages) and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.db import MAX_ID
from marketplace.fields import OneLine, QuerySchema, TrimmedString, UploadedFile, WholeNumber
from marketplace.listings import schemas as listing_schemas
from marketplace.media.storage import public_url
from marketplace.messaging.models import MAX_TEXT

TEXT_MESSAGE = f"Use at most {MAX_TEXT} characters."
REASON_MESSAGE = "Use 3 to 1000 characters."
LS = listing_schemas


def _id(required: bool = False) -> WholeNumber:
    return WholeNumber(required=required, load_default=None, allow_none=not required,
                       validate=validate.Range(min=1, max=MAX_ID))


def _text() -> TrimmedString:
    return TrimmedString(load_default="", validate=validate.Length(max=MAX_TEXT, error=TEXT_MESSAGE))


class ConversationIn(Schema):
    shop_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    listing_id = _id()
    seller_order_id = _id()
    text = _text()


class ChatMessageIn(Schema):
    text = TrimmedString(required=True, validate=validate.Length(min=1, max=MAX_TEXT, error=TEXT_MESSAGE))


class ChatPageIn(Schema):
    """The chat form: text, and photos sent beside it (multipart)."""

    text = _text()


class MessagesAfterIn(QuerySchema):
    after = fields.Integer(load_default=0, validate=validate.Range(min=0, max=MAX_ID))


class ConversationReportIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(min=3, max=1000, error=REASON_MESSAGE))


class ChatPhotoIn(Schema):
    file = UploadedFile(required=True)


class CustomOfferIn(Schema):
    title = OneLine(required=True, validate=validate.Length(*LS.TITLE_LENGTH, error=LS.TITLE_MESSAGE))
    description = TrimmedString(load_default="", validate=validate.Length(max=LS.DESCRIPTION_MAX,
                                                                          error=LS.DESCRIPTION_MESSAGE))
    price_idr = WholeNumber(required=True, validate=validate.Range(*LS.PRICE_RANGE, error=LS.PRICE_MESSAGE))
    quantity = WholeNumber(required=True, validate=validate.Range(1, LS.STOCK_RANGE[1], error=LS.STOCK_MESSAGE))
    processing_days = WholeNumber(required=True, validate=validate.Range(
        1, LS.PROCESSING_DAYS_RANGE[1], error=LS.PROCESSING_DAYS_MESSAGE))
    weight_grams = WholeNumber(load_default=None, allow_none=True,
                               validate=validate.Range(*LS.WEIGHT_RANGE, error=LS.WEIGHT_MESSAGE))


class CustomOfferOut(Schema):
    id = fields.Integer()
    conversation_id = fields.Integer()
    listing_id = fields.Integer()
    buyer_id = fields.Integer()
    status = fields.String()
    expires_at = fields.DateTime()
    title = fields.Function(lambda o: o.listing.title)
    description = fields.Function(lambda o: o.listing.description)
    price_idr = fields.Function(lambda o: o.listing.price_idr, metadata={"type": "integer"})
    quantity = fields.Integer()
    bought = fields.Function(lambda o: o.listing.stock == 0, metadata={"type": "boolean"})
    processing_days = fields.Function(lambda o: o.listing.processing_days, metadata={"type": "integer"})
    photo_url = fields.Function(lambda o: public_url(o.listing.images[0].key) if o.listing.images else None,
                                metadata={"type": "string"})


class ChatMessageOut(Schema):
    id = fields.Integer()
    sender_id = fields.Integer(allow_none=True)
    text = fields.String()
    photos = fields.Function(lambda m: [{"url": public_url(p["key"]), "thumb_url": public_url(p["thumb_key"])}
                                        for p in m.photos or []], metadata={"type": "array"})
    offer = fields.Nested(CustomOfferOut, allow_none=True)
    created_at = fields.DateTime()


class ConversationOut(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    user_id = fields.Integer()
    listing_id = fields.Integer(allow_none=True)
    seller_order_id = fields.Integer(allow_none=True)
    subject = fields.String()
    last_message_at = fields.DateTime()
    blocked = fields.Function(lambda c: c.blocked_by_id is not None, metadata={"type": "boolean"})


class ConversationSummaryOut(Schema):
    conversation = fields.Nested(ConversationOut)
    side = fields.String()
    unread = fields.Integer()
    other_name = fields.String()
    last = fields.Nested(ChatMessageOut, allow_none=True)


class ConversationList(Schema):
    items = fields.List(fields.Nested(ConversationSummaryOut))
    unread = fields.Integer()


class ChatMessageList(Schema):
    conversation = fields.Nested(ConversationOut)
    items = fields.List(fields.Nested(ChatMessageOut))
    unread = fields.Integer()


class ReportedConversationOut(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    user_id = fields.Integer()
    reported_at = fields.DateTime()
    report_reason = fields.String()


class ReportedConversationList(Schema):
    items = fields.List(fields.Nested(ReportedConversationOut))


def message_list(conversation: Any, items: list[Any], unread: int) -> dict[str, Any]:
    return {"conversation": conversation, "items": items, "unread": unread}


class ReportDismissedOut(Schema):
    status = fields.String(required=True, metadata={"enum": ["dismissed"]})
