"""The open-shop / edit-shop form (Flask-WTF: CSRF token included)."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
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
        # Built per request: the placeholder follows the visitor's language; kelurahan grouped by city.
        self.city.choices = [("", _("Choose…"))] + [(c, c) for c in places.CITIES]
        self.kelurahan.choices = {"": [("", _("Choose…"))]} | {
            city: [(k, k) for k in places.kelurahan_of(city)] for city in places.CITIES
        }

    def values(self) -> dict[str, Any]:
        return {
            "name": self.name.data or "",
            "description": self.description.data or "",
            "city": self.city.data or "",
            "kelurahan": self.kelurahan.data or "",
            "sentra": self.sentra.data or None,
        }
