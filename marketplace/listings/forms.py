"""Seller page forms (Flask-WTF: every form carries a CSRF token).

Fields, labels and choices only: the rules and their messages are :class:`~marketplace.listings.schemas.ListingIn`'s,
applied by :func:`marketplace.web.forms.load_form`, so the page and the API say the same thing.
"""

from __future__ import annotations

from typing import Any

from flask import get_template_attribute
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired, MultipleFileField
from wtforms import BooleanField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import RupiahField, SchemaForm, WholeNumberField
from marketplace.web.i18n import gettext as _
from marketplace.listings.models import CATEGORIES


class ListingForm(SchemaForm):
    title = StringField("Product name")
    description = TextAreaField("Description")
    category = SelectField("Category", validate_choice=False)
    price_idr = RupiahField("Price (Rp)")
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


class NewListingForm(ListingForm):
    """The new-product page: the listing's fields and its photos, sent in one form.

    The photos are not listing input (the API adds them with their own endpoint), so they stay out of
    :meth:`values`; the view processes them through the same upload use case as the photo form.
    """

    photos = MultipleFileField("Photos (JPEG, PNG or WebP; several at once)")
    without_photos = BooleanField("Send without a photo (products with photos sell better and are reviewed faster)")

    def values(self) -> dict[str, Any]:
        values = super().values()
        for name in ("photos", "without_photos"):
            values.pop(name, None)
        return values

    def chosen_photos(self) -> list[Any]:
        """The uploaded files (a browser sends one empty part when none was chosen)."""
        return [f for f in (self.photos.data or []) if f and getattr(f, "filename", "")]


class PhotoForm(FlaskForm):
    file = FileField("Photo (JPEG, PNG or WebP)", validators=[FileRequired("Choose a photo.")])


class ActionForm(FlaskForm):
    """A button that changes state (withdraw, resubmit, delete photo): only the CSRF token."""
