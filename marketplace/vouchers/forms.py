"""Voucher page forms (CSRF on each); their rules are ``vouchers.schemas``' (the API's)."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField
from wtforms.fields import DateTimeLocalField
from wtforms.fields.choices import SelectChoice

from marketplace.listings.models import CATEGORIES
from marketplace.vouchers.models import Kind
from marketplace.vouchers.schemas import DATE_MESSAGE
from marketplace.web.forms import RupiahField, SchemaForm, WholeNumberField

#: The pages' times are WIB (UTC+7), as the artisans and admins read a clock.
WIB_OFFSET = "+07:00"


class _WibField(DateTimeLocalField):
    """A ``datetime-local`` box read as WIB; blank is "not given" (the schema says it is required)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("format", ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S"])
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        try:
            super().process_formdata(valuelist)
        except ValueError as err:
            raise ValueError(DATE_MESSAGE) from err


class VoucherForm(SchemaForm):
    code = StringField("Code")
    kind = SelectField("Kind", choices=[SelectChoice(k.value) for k in Kind], validate_choice=False)
    value = WholeNumberField("Value (percent, or rupiah)")
    min_subtotal_idr = RupiahField("Minimum spend (Rp)")
    max_discount_idr = RupiahField("Largest discount (Rp, optional)")
    max_uses = WholeNumberField("Uses in all (optional)")
    per_buyer = WholeNumberField("Uses per buyer (optional)")
    starts_at = _WibField("Starts (WIB)")
    ends_at = _WibField("Ends (WIB)")

    def values(self) -> dict[str, Any]:
        """The schema's input; the times as WIB ISO strings."""
        values = SchemaForm.values(self)
        for key in ("starts_at", "ends_at"):
            if key in values:
                values[key] = values[key].isoformat() + WIB_OFFSET
        return values


class ProgrammeVoucherForm(VoucherForm):
    city = StringField("City (optional)")
    sentra_id = WholeNumberField("Sentra number (optional)")
    category = SelectField("Category (optional)", choices=[SelectChoice("", "—")] + [SelectChoice(c) for c in CATEGORIES],
                           validate_choice=False)

    def values(self) -> dict[str, Any]:
        values = VoucherForm.values(self)
        for key in ("city", "category"):
            if not values.get(key):
                values.pop(key, None)
        return values


class CartVoucherForm(SchemaForm):
    code = StringField("Voucher code")
