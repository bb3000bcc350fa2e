"""Input and output schemas of the payments API (the sandbox's pay call, an admin's refund)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.db import MAX_ID
from marketplace.fields import StrictInteger, TrimmedString
from marketplace.payments.methods import CODES

#: A card number as typed: 12 to 19 digits, spaces allowed between groups.
CARD_NUMBER = validate.Regexp(r"^[0-9 ]{12,23}$", error="Enter the card number as digits.")
METHODS = CODES  # sandbox-pay completes the live attempt of any method


class SandboxPayIn(Schema):
    """``{card_number}`` (a card attempt, or the sandbox's own form) or ``{method}`` (the live attempt of
    that method: a VA transfer, an e-wallet approval, a QR scan), exactly one of them."""

    card_number = TrimmedString(validate=CARD_NUMBER)
    method = fields.String(validate=validate.OneOf(METHODS))

    @validates_schema
    def _one_way_to_pay(self, data: dict[str, Any], **kwargs: Any) -> None:
        if ("card_number" in data) == ("method" in data):
            raise ValidationError("Send either card_number or method.", field_name="card_number")


class PayIn(Schema):
    """``{method}``: how the buyer pays (``va_bca`` … ``card``)."""

    method = fields.String(required=True, validate=validate.OneOf(CODES))


class PayOut(Schema):
    order_id = fields.Integer()
    method = fields.String()
    payment_id = fields.Integer()


class PaymentOut(Schema):
    status = fields.String()
    client_secret = fields.String(allow_none=True)
    gateway = fields.String()
    method = fields.String(allow_none=True)
    action = fields.Dict(allow_none=True)
    expires_at = fields.DateTime(allow_none=True)


class SandboxPayOut(Schema):
    order_id = fields.Integer()
    status = fields.String(metadata={"description": "the order's status now: pending_payment until the "
                                                    "webhook arrives"})
    outcome = fields.String(metadata={
        "enum": ["processing"],
        "description": "processing: the gateway's event is on its way to /webhooks/stripe; poll the order "
                       "until it is paid or cancelled",
    })
    payment = fields.Nested(PaymentOut, allow_none=True)


REFUND_REASON_MESSAGE = "Give a reason of 3 to 500 characters."


class RefundIn(Schema):
    """``{seller_order_id?, reason}``: one seller order of the order, or (absent or null) all of it."""

    seller_order_id = StrictInteger(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    reason = TrimmedString(required=True, validate=validate.Length(3, 500, error=REFUND_REASON_MESSAGE))


class ManualRefundIn(Schema):
    """``{bank_reference}``: the bank's reference of the transfer back to the buyer."""

    bank_reference = TrimmedString(required=True, validate=[
        validate.Length(3, 100, error="Give the bank's reference (3 to 100 characters)."),
        validate.Regexp(r"^[A-Za-z0-9 ./:_-]+$", error="Letters, digits and . / : _ - only.")])


class RefundOut(Schema):
    refund_id = fields.Integer()
    order_id = fields.Integer()
    seller_order_id = fields.Integer(allow_none=True)
    amount_idr = fields.Integer()
    status = fields.String(metadata={
        "enum": ["refund_pending", "refunded", "refund_failed"],
        "description": "refund_pending until the gateway confirms, then refunded (or refund_failed)",
    })
