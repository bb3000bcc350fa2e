"""Checkout page form (Flask-WTF, with CSRF). Fields, labels and choices only: the address's rules and
messages are :class:`~marketplace.orders.schemas.AddressIn`'s, the same the API applies."""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import SchemaForm
from marketplace.web.i18n import gettext as _
from marketplace.shipping.provinces import PROVINCES


class AddressForm(SchemaForm):
    recipient = StringField("Recipient's name", render_kw={"autocomplete": "name", "maxlength": 120})
    phone = StringField("Phone number", render_kw={"autocomplete": "tel", "inputmode": "tel", "maxlength": 20})
    line1 = TextAreaField("Address (street, number, RT/RW, kelurahan)",
                          render_kw={"autocomplete": "street-address", "maxlength": 200, "rows": 3})
    city = StringField("City or regency", render_kw={"autocomplete": "address-level2", "maxlength": 80})
    province = SelectField("Province", validate_choice=False, render_kw={"autocomplete": "address-level1"})
    postal_code = StringField("Postal code", render_kw={"autocomplete": "postal-code", "inputmode": "numeric",
                                                        "maxlength": 5})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the prompt follows the visitor's language; province names are proper names.
        self.province.choices = [SelectChoice("", _("Choose a province"))] + [SelectChoice(p, p) for p in PROVINCES]
