"""Review input rules (the one definition, for the API and the pages) and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from marketplace.db import MAX_ID
from marketplace.fields import QueryNumber, QuerySchema, TrimmedString, WholeNumber
from marketplace.media.storage import public_url
from marketplace.moderation.schemas import REASON_LENGTH, REPORT_REASON_MESSAGE
from marketplace.reviews.services import display_name

RATING_MESSAGE = "Choose from 1 to 5 stars."
TEXT_MAX = 2000
TEXT_MESSAGE = f"At most {TEXT_MAX} characters."
REPLY_MESSAGE = f"Write a reply of 1 to {TEXT_MAX} characters."
REASON_MESSAGE = "Give a reason, in 3 to 1000 characters."


class ReviewIn(Schema):
    """``POST /api/v1/listings/<id>/reviews`` and the review page's form."""

    order_item_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))
    rating = WholeNumber(required=True, validate=validate.Range(min=1, max=5, error=RATING_MESSAGE),
                         error_messages={"required": RATING_MESSAGE, "null": RATING_MESSAGE})
    text = TrimmedString(load_default="", validate=validate.Length(max=TEXT_MAX, error=TEXT_MESSAGE))


class ReviewReplyIn(Schema):
    text = TrimmedString(required=True, validate=validate.Length(min=1, max=TEXT_MAX, error=REPLY_MESSAGE),
                         error_messages={"required": REPLY_MESSAGE, "null": REPLY_MESSAGE})


class ReviewReportIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(*REASON_LENGTH, error=REPORT_REASON_MESSAGE),
                           error_messages={"required": REPORT_REASON_MESSAGE, "null": REPORT_REASON_MESSAGE})


class ReviewHideIn(Schema):
    reason = TrimmedString(required=True, validate=validate.Length(*REASON_LENGTH, error=REASON_MESSAGE),
                           error_messages={"required": REASON_MESSAGE, "null": REASON_MESSAGE})


class ReviewPageQuery(QuerySchema):
    page = QueryNumber(load_default=1, validate=validate.Range(min=1, max=10_000))
    per_page = QueryNumber(load_default=10, validate=validate.Range(min=1, max=50))


class ReviewPhotoOut(Schema):
    id = fields.Integer()
    url = fields.Function(lambda p: public_url(p.key), metadata={"type": "string"})
    thumb_url = fields.Function(lambda p: public_url(p.thumb_key), metadata={"type": "string"})
    width = fields.Integer()
    height = fields.Integer()


class ReviewReplyOut(Schema):
    text = fields.String(attribute="reply_text")
    created_at = fields.DateTime(attribute="replied_at")


class ReviewOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    shop_id = fields.Integer()
    order_item_id = fields.Integer()
    rating = fields.Integer()
    text = fields.String()
    photos = fields.List(fields.Nested(ReviewPhotoOut))
    buyer_name = fields.Function(lambda r: display_name(r.buyer), metadata={"type": "string"})
    reply = fields.Method("_reply", metadata={"type": "object", "nullable": True})
    created_at = fields.DateTime()

    def _reply(self, review: Any) -> dict[str, Any] | None:
        return ReviewReplyOut().dump(review) if review.reply_text is not None else None


class ReviewRatingOut(Schema):
    average = fields.Float(allow_none=True)
    count = fields.Integer()


class ReviewList(Schema):
    items = fields.List(fields.Nested(ReviewOut))
    average_rating = fields.Float(allow_none=True)
    count = fields.Integer()
    distribution = fields.Dict(keys=fields.String(), values=fields.Integer())
    page = fields.Integer()
    per_page = fields.Integer()
    total = fields.Integer()


class ReviewReportOut(Schema):
    id = fields.Integer()
    review_id = fields.Integer()
    reason = fields.String()


class ReviewHiddenOut(Schema):
    id = fields.Integer()
    hidden = fields.Function(lambda r: r.hidden_at is not None, metadata={"type": "boolean"})
    reason = fields.String(attribute="hidden_reason")


class ReportedReviewOut(Schema):
    review = fields.Nested(ReviewOut)
    reasons = fields.List(fields.String())


class ReportedReviewList(Schema):
    items = fields.List(fields.Nested(ReportedReviewOut))


class ReviewDismissOut(Schema):
    dismissed = fields.Integer()


