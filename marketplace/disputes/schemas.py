"""Dispute input rules (the one definition, for the API and the pages) and output."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.disputes.models import DisputeOutcome, DisputeReason
from marketplace.fields import QuerySchema, TrimmedString, WholeNumber
from marketplace.media.storage import public_url
from marketplace.reviews.services import display_name

TEXT_MAX = 2000
REASONS = tuple(r.value for r in DisputeReason)
OUTCOMES = tuple(o.value for o in DisputeOutcome)
REASON_MESSAGE = "Choose what went wrong."
TEXT_MESSAGE = f"Describe the problem in 10 to {TEXT_MAX} characters."
RESPONSE_MESSAGE = f"Write an answer of 1 to {TEXT_MAX} characters."
NOTE_MESSAGE = "Write a note of 3 to 1000 characters."
AMOUNT_MESSAGE = "Give an amount in whole rupiah, at least Rp 1."
OUTCOME_MESSAGE = "Choose refund or reject."
#: The largest amount anyone may type (more than any seller order; the service checks what was paid).
AMOUNT_MAX = 1_000_000_000_000


def _amount(required: bool) -> WholeNumber:
    return WholeNumber(required=required, validate=validate.Range(min=1, max=AMOUNT_MAX, error=AMOUNT_MESSAGE),
                       error_messages={"required": AMOUNT_MESSAGE, "null": AMOUNT_MESSAGE})


class DisputeIn(Schema):
    """``POST /api/v1/seller-orders/<id>/disputes`` and the dispute form."""

    reason = fields.String(required=True, validate=validate.OneOf(REASONS, error=REASON_MESSAGE),
                           error_messages={"required": REASON_MESSAGE, "null": REASON_MESSAGE})
    text = TrimmedString(required=True, validate=validate.Length(min=10, max=TEXT_MAX, error=TEXT_MESSAGE),
                         error_messages={"required": TEXT_MESSAGE, "null": TEXT_MESSAGE})


class DisputeRespondIn(Schema):
    text = TrimmedString(required=True, validate=validate.Length(min=1, max=TEXT_MAX, error=RESPONSE_MESSAGE),
                         error_messages={"required": RESPONSE_MESSAGE, "null": RESPONSE_MESSAGE})


class DisputeRefundIn(Schema):
    amount_idr = _amount(True)


class DisputeResolveIn(Schema):
    outcome = fields.String(required=True, validate=validate.OneOf(OUTCOMES, error=OUTCOME_MESSAGE),
                            error_messages={"required": OUTCOME_MESSAGE, "null": OUTCOME_MESSAGE})
    amount_idr = _amount(False)
    note = TrimmedString(required=True, validate=validate.Length(min=3, max=1000, error=NOTE_MESSAGE),
                         error_messages={"required": NOTE_MESSAGE, "null": NOTE_MESSAGE})

    @validates_schema
    def _amount_only_for_refunds(self, data: dict[str, Any], **_kw: Any) -> None:
        if data.get("outcome") == DisputeOutcome.REJECT.value and data.get("amount_idr") is not None:
            raise ValidationError("A rejected dispute refunds nothing.", field_name="amount_idr")


class DisputeQueueQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf(("open", "resolved", "escalated")))


class DisputePhotoOut(Schema):
    id = fields.Integer()
    url = fields.Function(lambda p: public_url(p.key), metadata={"type": "string"})
    thumb_url = fields.Function(lambda p: public_url(p.thumb_key), metadata={"type": "string"})
    width = fields.Integer()
    height = fields.Integer()


class DisputeOut(Schema):
    id = fields.Integer()
    order_id = fields.Integer()
    seller_order_id = fields.Integer()
    shop_id = fields.Integer()
    reason = fields.String()
    text = fields.String()
    status = fields.String()
    opened_at = fields.DateTime()
    buyer_name = fields.Function(lambda d: display_name(d.buyer), metadata={"type": "string"})
    photos = fields.List(fields.Nested(DisputePhotoOut))
    response = fields.String(attribute="response_text", allow_none=True)
    responded_at = fields.DateTime(allow_none=True)
    outcome = fields.String(allow_none=True)
    refund_id = fields.Integer(allow_none=True)
    refund_amount_idr = fields.Integer(allow_none=True)
    resolution_note = fields.String(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    escalated_at = fields.DateTime(allow_none=True)
    escalated = fields.Function(lambda d: bool(getattr(d, "escalated", False)), metadata={"type": "boolean"})


class DisputeList(Schema):
    items = fields.List(fields.Nested(DisputeOut))
