"""The open-shop / edit-shop form (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from marketplace.i18n import gettext as _
from marketplace.shops import places


class ShopForm(FlaskForm):
    name = StringField("Shop name", validators=[DataRequired(), Length(max=120)])
    description = TextAreaField("About your shop", validators=[Optional(), Length(max=4000)])
    city = SelectField("City", validators=[DataRequired()])
    kelurahan = SelectField("Kelurahan", validators=[DataRequired()])
    sentra = StringField("Sentra (creative centre), if any", validators=[Optional(), Length(max=120)])

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

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "city": self.city.data or "",
            "kelurahan": self.kelurahan.data or "",
            "sentra": self.sentra.data or None,
        }
