"""Moderation input rules (the one definition, for the API and the queue page) and output schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.db import MAX_ID
from marketplace.fields import TrimmedString, WholeNumber
from marketplace.listings.schemas import ListingOut

REASON_LENGTH = (3, 1000)
REASON_MESSAGE = "Give a reason of 3 to 1000 characters."
#: The queue page carries the revision in a hidden field, so a moderator only sees this with a page
#: opened before revisions existed, or a client that does not send one.
REVISION_MESSAGE = "Open the listing again: this form does not say which version of it you reviewed."
_REVISION_MESSAGES = {"required": REVISION_MESSAGE, "null": REVISION_MESSAGE, "invalid": REVISION_MESSAGE}


class DecisionIn(Schema):
    """What every decision names: the listing's ``revision`` the moderator saw (from the queue or the
    page). Required: a decision without it could publish an edit nobody reviewed (issue #9)."""

    revision = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID, error=REVISION_MESSAGE),
                           error_messages=_REVISION_MESSAGES)


class ApproveIn(DecisionIn):
    """Approve the revision the moderator saw."""


class RejectIn(DecisionIn):
    """Why a listing is refused (the seller sees it): trimmed, 3 to 1000 characters."""

    reason = TrimmedString(required=True, validate=validate.Length(*REASON_LENGTH, error=REASON_MESSAGE),
                           error_messages={"required": REASON_MESSAGE, "null": REASON_MESSAGE})


class QueueItem(ListingOut):
    """A pending listing with where its shop is."""

    shop_name = fields.Function(lambda listing: listing.shop.name, metadata={"type": "string"})
    city = fields.Function(lambda listing: listing.shop.city, metadata={"type": "string"})
    kelurahan = fields.Function(lambda listing: listing.shop.kelurahan, metadata={"type": "string"})


class QueueOut(Schema):
    items = fields.List(fields.Nested(QueueItem))


class DecisionOut(Schema):
    status = fields.String()
    reason = fields.String(allow_none=True)


class HistoryItem(Schema):
    """A :class:`~marketplace.moderation.models.ModerationDecision` with its moderator's name."""

    id = fields.Integer()
    decision = fields.String()
    reason = fields.String(allow_none=True)
    revision = fields.Integer(allow_none=True, metadata={"description": "the listing revision decided on"})
    moderator_id = fields.Integer()
    moderator_name = fields.Function(lambda decision: decision.moderator.name, metadata={"type": "string"})
    decided_at = fields.DateTime()


class HistoryOut(Schema):
    listing_id = fields.Integer()
    status = fields.String()
    items = fields.List(fields.Nested(HistoryItem))


REPORT_REASON_MESSAGE = "Tell us what is wrong, in 3 to 1000 characters."


class ReportIn(Schema):
    """A user's report of a listing (``POST /api/v1/listings/<id>/reports`` and the listing page form)."""

    reason = TrimmedString(required=True, validate=validate.Length(*REASON_LENGTH, error=REPORT_REASON_MESSAGE),
                           error_messages={"required": REPORT_REASON_MESSAGE, "null": REPORT_REASON_MESSAGE})


class ReportOut(Schema):
    id = fields.Integer()
    listing_id = fields.Integer()
    reason = fields.String()
    created_at = fields.DateTime()


class ReportedItem(QueueItem):
    """An approved listing with open reports: how many, and why."""

    report_count = fields.Integer()
    reasons = fields.List(fields.String())


class QueueWithReportsOut(QueueOut):
    reported = fields.List(fields.Nested(ReportedItem),
                           metadata={"description": "approved listings with open reports, most reported first"})


class TakeDownIn(RejectIn):
    """Take a reported listing down, as it was at ``revision``, with a reason the seller sees."""


class DismissOut(Schema):
    dismissed = fields.Integer(metadata={"description": "how many reports were closed"})


class BulkItemIn(DecisionIn):
    listing_id = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_ID))


BULK_MAX = 100
BULK_ITEMS_MESSAGE = "Select 1 to 100 listings."


class BulkIn(Schema):
    """Approve or reject several queue items, each naming the revision the moderator saw."""

    #: A rejection gives its reason (the OpenAPI document says so too).
    OPENAPI = {"anyOf": [{"properties": {"action": {"enum": ["approve"]}}},
                         {"required": ["reason"], "properties": {"reason": {"type": "string"}}}]}

    action = fields.String(required=True, validate=validate.OneOf(("approve", "reject")))
    items = fields.List(fields.Nested(BulkItemIn), required=True,
                        validate=validate.Length(1, BULK_MAX, error=BULK_ITEMS_MESSAGE),
                        error_messages={"required": BULK_ITEMS_MESSAGE})
    reason = TrimmedString(load_default=None, validate=validate.Length(*REASON_LENGTH, error=REASON_MESSAGE))

    @validates_schema
    def _reason_for_reject(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("action") == "reject" and not data.get("reason"):
            raise ValidationError(REASON_MESSAGE, field_name="reason")


class BulkResultOut(Schema):
    listing_id = fields.Integer()
    status_code = fields.Integer(metadata={"description": "200, or the status this item alone would have had"})
    status = fields.String(allow_none=True)
    code = fields.String(allow_none=True)
    message = fields.String(allow_none=True)


class BulkOut(Schema):
    items = fields.List(fields.Nested(BulkResultOut))
