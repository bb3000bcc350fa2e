"""Seller page forms (Flask-WTF: every form carries a CSRF token).

Fields, labels and choices only: the rules and their messages are :class:`~marketplace.listings.schemas.ListingIn`'s,
applied by :func:`marketplace.forms.load_form`, so the page and the API say the same thing.
"""

from __future__ import annotations

from typing import Any

from flask import get_template_attribute
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.forms import SchemaForm, WholeNumberField
from marketplace.i18n import gettext as _
from marketplace.listings.models import CATEGORIES


class ListingForm(SchemaForm):
    title = StringField("Product name")
    description = TextAreaField("Description")
    category = SelectField("Category", validate_choice=False)
    price_idr = WholeNumberField("Price (Rp)")
    stock = WholeNumberField("Stock")
    weight_grams = WholeNumberField("Weight (grams)")
    fulfilment = SelectField("Fulfilment", validate_choice=False)
    processing_days = WholeNumberField("Processing days", default=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the option labels follow the visitor's language. Category labels come
        # from the one macro every page uses (templates/_labels.html), so the form and pages agree.
        category_label = get_template_attribute("_labels.html", "category_label")
        # No category is preselected: a seller must choose one, not get "Batik" by accident.
        self.category.choices = [SelectChoice("", _("Choose a category…"))] + [
            SelectChoice(c, str(category_label(c))) for c in CATEGORIES
        ]
        self.fulfilment.choices = [
            SelectChoice("ready_to_ship", _("Ready to ship")),
            SelectChoice("made_to_order", _("Made to order")),
        ]


class PhotoForm(FlaskForm):
    file = FileField("Photo (JPEG, PNG or WebP)", validators=[FileRequired("Choose a photo.")])


class ActionForm(FlaskForm):
    """A button that changes state (withdraw, resubmit, delete photo): only the CSRF token."""
