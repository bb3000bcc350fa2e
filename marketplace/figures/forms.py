"""The artisan's programme profile form (fields only: the rules are ``ProgrammeProfileIn``'s)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema
from wtforms import SelectMultipleField, StringField
from wtforms.widgets import CheckboxInput, ListWidget

from marketplace.figures.profile import BirthYear, Crafts
from marketplace.listings.models import CATEGORIES
from marketplace.web.forms import SchemaForm


class ProgrammeProfileIn(Schema):
    birth_year = BirthYear()
    crafts = Crafts()


class ProgrammeProfileForm(SchemaForm):
    birth_year = StringField("Birth year (optional)")
    crafts = SelectMultipleField("Crafts you practise", validate_choice=False,
                                 widget=ListWidget(prefix_label=False), option_widget=CheckboxInput())

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.crafts.choices = [(c, c) for c in CATEGORIES]

    def values(self) -> dict[str, Any]:
        """The year as a number when it is one (else the text, which the schema refuses), blank: none."""
        text = (self.birth_year.data or "").strip()
        year: Any = int(text) if text.isdigit() and len(text) <= 6 else (text or None)
        return {"birth_year": year, "crafts": list(self.crafts.data or [])}
