"""The notification settings form: fields and choices only (the rules are ``PreferencesIn``'s)."""

from __future__ import annotations

from typing import Any

from wtforms import BooleanField, SelectField, SelectMultipleField, StringField, widgets
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import SchemaForm
from marketplace.web.i18n import gettext as _
from marketplace.notifications.kinds import Kind

#: Each language in its own name, as language pickers do.
LANGUAGE_LABELS = {"id": "Bahasa Indonesia", "en": "English"}


class CheckboxesField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class PreferencesForm(SchemaForm):
    language = SelectField("E-mail language", validate_choice=False)
    wanted = CheckboxesField("Optional messages", validate_choice=False)
    phone = StringField("Phone number (WhatsApp)", render_kw={"autocomplete": "tel", "placeholder": "0812 3456 7890"})
    whatsapp = BooleanField("Also send my order updates by WhatsApp")

    def __init__(self, offered: list[Kind], *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Per request: the optional messages depend on the role, their labels on the language.
        self.language.choices = [SelectChoice(code, label) for code, label in LANGUAGE_LABELS.items()]
        self.wanted.choices = [SelectChoice(kind.name, _(kind.label)) for kind in offered]
