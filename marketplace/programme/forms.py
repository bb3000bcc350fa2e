"""Programme event page forms (CSRF on each); their rules are ``programme.schemas``' (the API's)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import FileField
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.formatting import TIMEZONE
from marketplace.programme.schemas import KINDS
from marketplace.vouchers.forms import WIB_OFFSET, _WibField
from marketplace.web.forms import SchemaForm, WholeNumberField

TIMES = ("starts_at", "ends_at", "registration_opens_at", "registration_closes_at")


class EventForm(SchemaForm):
    kind = SelectField("Kind", choices=[SelectChoice(k) for k in KINDS], validate_choice=False)
    title = StringField("Title")
    description = TextAreaField("Description")
    venue = StringField("Venue")
    city = StringField("City (or choose a sentra)")
    sentra_id = WholeNumberField("Sentra number (optional)")
    starts_at = _WibField("Starts (WIB)")
    ends_at = _WibField("Ends (WIB)")
    capacity = WholeNumberField("Seats")
    registration_opens_at = _WibField("Registration opens (WIB)")
    registration_closes_at = _WibField("Registration closes (WIB)")
    photo = FileField("Photo (JPEG, PNG or WebP)")

    def values(self) -> dict[str, Any]:
        """The schema's input: times as WIB ISO strings; a blank city or sentra is not sent."""
        values = SchemaForm.values(self)
        values.pop("photo", None)
        for key in TIMES:
            if key in values:
                values[key] = values[key].isoformat() + WIB_OFFSET
        if not values.get("city"):
            values.pop("city", None)
        return values


def initial(event: Any) -> dict[str, Any]:
    """The edit form's values from a stored event: its times as the WIB wall clock the boxes show."""
    data = {name: getattr(event, name) for name in ("kind", "title", "description", "venue", "city", "sentra_id",
                                                    "capacity")}
    for key in TIMES:
        data[key] = getattr(event, key).astimezone(TIMEZONE).replace(tzinfo=None)
    return data


class CancelForm(SchemaForm):
    reason = StringField("Why is it cancelled?")


class ShopForm(SchemaForm):
    shop_id = WholeNumberField("Shop number")


class CheckInForm(SchemaForm):
    code = StringField("Code")


class ApplyForm(SchemaForm):
    note = TextAreaField("What will you bring? (optional)")
