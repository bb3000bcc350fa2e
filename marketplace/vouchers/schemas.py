"""Voucher input rules (the one definition, for the API and the shop's and admins' pages) and output.

The rules that join fields or need the database (a percentage over 100, an end before the start, a
code another voucher has in any case, a sentra that exists) are the service's (``services._check``):
they apply to a PATCH against the stored values too.
"""

from __future__ import annotations

from datetime import timezone
from typing import Any

from marshmallow import Schema, ValidationError, fields, post_load, validate, validates

from marketplace.db import MAX_ID
from marketplace.fields import INVALID_CHOICE, REQUIRED, PatchSchema, TrimmedString, WholeNumber
from marketplace.listings.models import CATEGORIES
from marketplace.shops import places
from marketplace.vouchers import rules
from marketplace.vouchers.models import FundedBy, Kind

CODE_PATTERN = r"^[A-Za-z0-9_-]{3,32}$"
CODE_MESSAGE = "Use 3 to 32 letters, digits, dashes or underscores."
#: The largest rupiah amount a voucher names (a value, minimum or cap).
MAX_IDR = 1_000_000_000
AMOUNT_MESSAGE = "From Rp 1 to Rp 1.000.000.000."
MINIMUM_MESSAGE = "From Rp 0 to Rp 1.000.000.000."
MAX_USES = 1_000_000
USES_MESSAGE = "From 1 to 1.000.000."
DATE_MESSAGE = "Enter a date and time."


def _date() -> fields.AwareDateTime:
    return fields.AwareDateTime(required=True, default_timezone=timezone.utc,
                                error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": DATE_MESSAGE})


def _optional(low: int, high: int, message: str) -> WholeNumber:
    return WholeNumber(allow_none=True, load_default=None, validate=validate.Range(min=low, max=high, error=message))


class VoucherIn(Schema):
    """A shop's voucher: ``POST /api/v1/seller/vouchers`` and the shop's vouchers page."""

    code = TrimmedString(required=True, validate=validate.Regexp(CODE_PATTERN, error=CODE_MESSAGE))
    kind = fields.String(required=True, validate=validate.OneOf([k.value for k in Kind], error=INVALID_CHOICE))
    value = WholeNumber(required=True, validate=validate.Range(min=1, max=MAX_IDR, error=AMOUNT_MESSAGE),
                        metadata={"description": "percent (1–100) or rupiah, by kind"})
    min_subtotal_idr = WholeNumber(load_default=0, validate=validate.Range(min=0, max=MAX_IDR, error=MINIMUM_MESSAGE))
    max_discount_idr = _optional(1, MAX_IDR, AMOUNT_MESSAGE)
    max_uses = _optional(1, MAX_USES, USES_MESSAGE)
    per_buyer = _optional(1, MAX_USES, USES_MESSAGE)
    starts_at = _date()
    ends_at = _date()
    paused = fields.Boolean(load_default=False)


class ProgrammeVoucherIn(VoucherIn):
    """A programme voucher (admins): optionally limited to a city, a sentra or a category."""

    city = TrimmedString(allow_none=True, load_default=None, metadata=places.CITY_DOC)
    sentra_id = WholeNumber(allow_none=True, load_default=None, validate=validate.Range(min=1, max=MAX_ID))
    category = fields.String(allow_none=True, load_default=None,
                             validate=validate.OneOf(CATEGORIES, error=INVALID_CHOICE))

    @validates("city")
    def _city(self, value: str | None, **_kw: Any) -> None:
        if value and places.canonical_city(value) is None:
            raise ValidationError(places.CITY_MESSAGE)

    @post_load
    def _canonical_city(self, data: dict[str, Any], **_kw: Any) -> dict[str, Any]:
        if data.get("city"):
            data["city"] = places.canonical_city(data["city"])
        elif "city" in data:
            data["city"] = None
        return data


class VoucherPatch(VoucherIn, PatchSchema):
    """``PATCH /api/v1/seller/vouchers/<id>``: any field (``{"paused": true}`` pauses it)."""


class ProgrammeVoucherPatch(ProgrammeVoucherIn, PatchSchema):
    """``PATCH /api/v1/admin/vouchers/<id>``."""


class VoucherOut(Schema):
    id = fields.Integer()
    code = fields.String()
    funded_by = fields.String(metadata={"enum": [f.value for f in FundedBy]})
    shop_id = fields.Integer(allow_none=True)
    city = fields.String(allow_none=True)
    sentra_id = fields.Integer(allow_none=True)
    category = fields.String(allow_none=True)
    kind = fields.String(metadata={"enum": [k.value for k in Kind]})
    value = fields.Integer()
    min_subtotal_idr = fields.Integer()
    max_discount_idr = fields.Integer(allow_none=True)
    max_uses = fields.Integer(allow_none=True)
    per_buyer = fields.Integer(allow_none=True)
    starts_at = fields.DateTime()
    ends_at = fields.DateTime()
    paused = fields.Boolean()
    uses_count = fields.Integer(metadata={"description": "live uses (reserved by orders not cancelled)"})
    given_idr = fields.Integer(metadata={"description": "rupiah those uses took off"})


class VoucherList(Schema):
    items = fields.List(fields.Nested(VoucherOut))


class CartVoucherIn(Schema):
    """``POST /api/v1/cart/voucher`` and the cart page's voucher field."""

    code = TrimmedString(required=True, validate=validate.Length(min=1, max=32, error=CODE_MESSAGE))


class DiscountOut(Schema):
    code = fields.String()
    funded_by = fields.String(metadata={"enum": [f.value for f in FundedBy]})
    shop_id = fields.Integer(allow_none=True)
    amount_idr = fields.Integer()


class AppliedVoucherOut(Schema):
    code = fields.String()
    reason = fields.String(allow_none=True, metadata={
        "enum": list(rules.REASONS), "description": "why it does not apply to the cart now (null: it does)"})
