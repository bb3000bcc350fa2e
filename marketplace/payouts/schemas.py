"""Payouts input and output: the payout account's details (one set of rules for the API and the page
form), the artisan's earnings, the admins' payout list and reconciliation."""

from __future__ import annotations

import re
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.fields import OneLine, QuerySchema, TrimmedString
from marketplace.payouts.models import PayoutStatus

CHANNEL_MESSAGE = "Choose a bank or e-wallet code such as ID_BCA or ID_GOPAY."
ACCOUNT_NUMBER_MESSAGE = "Enter the account or phone number as 5 to 30 digits."
HOLDER_MESSAGE = "Enter the account holder's name as the bank has it (2 to 120 characters)."
ALL_OR_NONE_MESSAGE = "Give the bank or e-wallet, the account number and the holder's name together."
DETAIL_FIELDS = ("channel_code", "account_number", "account_holder_name")


class AccountNumber(TrimmedString):
    """An account or phone number as people write it (``1234 567 890``, ``+62 812-3456-7890``): the
    separators dropped, a leading ``+`` kept. Which digits a channel takes is the provider's rule
    (``marketplace.payouts.xendit.check_details``); this only refuses what is no number at all."""

    SEPARATORS = re.compile(r"[\s.\-()]")

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return self.SEPARATORS.sub("", super()._deserialize(value, attr, data, **kwargs))


class PayoutAccountIn(Schema):
    """``{}`` (sandbox, Stripe Connect: the provider's own form collects the details) or the three
    details of an Indonesian bank account or e-wallet (Xendit), all together."""

    channel_code = TrimmedString(validate=validate.Regexp(r"^[A-Z][A-Z0-9_]{1,39}$", error=CHANNEL_MESSAGE))
    account_number = AccountNumber(validate=validate.Regexp(r"^\+?\d{5,30}$", error=ACCOUNT_NUMBER_MESSAGE))
    account_holder_name = OneLine(validate=validate.Length(2, 120, error=HOLDER_MESSAGE))

    @validates_schema
    def _all_or_none(self, data: dict[str, Any], **_kw: Any) -> None:
        given = [name for name in DETAIL_FIELDS if data.get(name)]
        if given and len(given) != len(DETAIL_FIELDS):
            missing = [name for name in DETAIL_FIELDS if name not in given]
            raise ValidationError({name: [ALL_OR_NONE_MESSAGE] for name in missing})


class PayoutAccountOut(Schema):
    status = fields.String(metadata={"enum": ["connected", "onboarding", "restricted"]})
    onboarding_url = fields.String(allow_none=True)
    provider = fields.String()
    channel_code = fields.String(allow_none=True)
    account_number = fields.String(attribute="masked_number", allow_none=True,
                                   metadata={"description": "masked: only the last four digits"})
    account_holder_name = fields.String(allow_none=True)
    problem = fields.String(allow_none=True)


class PayoutOut(Schema):
    id = fields.Integer()
    shop_id = fields.Integer()
    order_id = fields.Integer()
    amount_idr = fields.Integer()
    commission_idr = fields.Integer()
    status = fields.String(metadata={"enum": [s.value for s in PayoutStatus]})
    provider = fields.String(allow_none=True, metadata={"description": "the provider it was sent through"})
    transfer_id = fields.String(allow_none=True)
    seller_order_ids = fields.List(fields.Integer())
    due_at = fields.AwareDateTime()
    paid_at = fields.AwareDateTime(allow_none=True)
    attempts = fields.Integer()
    last_error = fields.String(allow_none=True)
    failure_reason = fields.String(allow_none=True)
    next_attempt_at = fields.AwareDateTime(allow_none=True)


class EarningOrderOut(Schema):
    seller_order_id = fields.Integer()
    order_id = fields.Integer()
    status = fields.String()
    subtotal_idr = fields.Integer()
    shipping_idr = fields.Integer()
    commission_idr = fields.Integer()
    refunded_idr = fields.Integer()
    payable_idr = fields.Integer()
    payout_id = fields.Integer(allow_none=True)
    payout_status = fields.String(allow_none=True)


class EarningsOut(Schema):
    items = fields.List(fields.Nested(PayoutOut))
    orders = fields.List(fields.Nested(EarningOrderOut), metadata={"description": "each paid order, its commission"})
    balance_idr = fields.Integer(metadata={"description": "owed to you now (negative: a refund after payout)"})
    pending_idr = fields.Integer(metadata={"description": "paid orders not delivered yet"})
    scheduled_idr = fields.Integer(metadata={"description": "payouts on hold or waiting for your account"})
    in_transit_idr = fields.Integer()
    paid_idr = fields.Integer()
    account = fields.Nested(PayoutAccountOut, allow_none=True,
                            metadata={"description": "your payout account; null before you connect one"})


class AdminPayoutsQuery(QuerySchema):
    status = fields.String(validate=validate.OneOf([s.value for s in PayoutStatus]))


class AdminPayoutList(Schema):
    items = fields.List(fields.Nested(PayoutOut))


class MismatchOut(Schema):
    kind = fields.String()
    payout_id = fields.Integer(allow_none=True)
    transfer_id = fields.String(allow_none=True)
    amount_idr = fields.Integer()
    expected_idr = fields.Integer()


class SubsidyMonthOut(Schema):
    month = fields.String(metadata={"description": "YYYY-MM (WIB)"})
    owed_idr = fields.Integer()


class ReconciliationOut(Schema):
    source = fields.String()
    transfers = fields.Integer()
    transferred_idr = fields.Integer()
    paid_idr = fields.Integer()
    ledger_paid_idr = fields.Integer()
    ledger_in_transit_idr = fields.Integer()
    mismatches = fields.List(fields.Nested(MismatchOut))
    ledger_problems = fields.List(fields.String())
    programme_subsidy = fields.List(fields.Nested(SubsidyMonthOut), metadata={
        "description": "what programme vouchers cost per WIB month: what the city owes (marketplace.vouchers)"})
