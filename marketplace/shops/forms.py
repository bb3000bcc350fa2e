"""The open-shop / edit-shop form and the admins' suspension form (Flask-WTF: CSRF token included).

Fields, labels and choices only: the rules and their messages are :class:`~marketplace.shops.schemas.ShopIn`'s,
applied by :func:`marketplace.web.forms.load_form`.
"""

from __future__ import annotations

from typing import Any

from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import SchemaForm
from marketplace.web.i18n import gettext as _
from marketplace.shops import places


class ShopForm(SchemaForm):
    name = StringField("Shop name")
    description = TextAreaField("About your shop")
    city = SelectField("City", validate_choice=False)
    kelurahan = SelectField("Kelurahan", validate_choice=False)
    pickup_address = StringField("Pickup address for couriers (street, number, RT/RW)",
                                 render_kw={"autocomplete": "address-line1", "maxlength": 200})
    pickup_postal_code = StringField("Pickup postal code", render_kw={"inputmode": "numeric", "maxlength": 5,
                                                                       "autocomplete": "postal-code"})
    pickup_latitude = StringField("Latitude (optional, for instant couriers)", render_kw={"inputmode": "decimal"})
    pickup_longitude = StringField("Longitude (optional, for instant couriers)", render_kw={"inputmode": "decimal"})

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request: the placeholder follows the visitor's language. Kelurahan are grouped
        # in one <optgroup> per city (the label is the city's value, which static/shop-form.js uses to
        # show only the chosen city's group); the placeholder stays outside every group.
        choose = SelectChoice("", _("Choose…"))
        self.city.choices = [choose] + [SelectChoice(c) for c in places.CITIES]
        self.kelurahan.choices = [choose] + [
            SelectChoice(k, optgroup=city) for city in places.CITIES for k in places.kelurahan_of(city)
        ]


class SuspendForm(SchemaForm):
    """An admin's suspension of a shop: the reason (:class:`~marketplace.shops.schemas.SuspendIn`)."""

    reason = TextAreaField("Reason")
