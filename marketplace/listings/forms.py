"""Seller page forms (Flask-WTF: every form carries a CSRF token).

The limits mirror :mod:`marketplace.listings.schemas`; the services check the cross-field rule
(made-to-order needs processing days) for both the API and the pages.
"""

from __future__ import annotations

from typing import Any

from flask import get_template_attribute
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from marketplace.i18n import gettext as _
from marketplace.listings import schemas
from marketplace.listings.models import CATEGORIES

NOT_A_NUMBER = "Enter a whole number."


class ListingForm(FlaskForm):
    title = StringField("Product name", validators=[
        InputRequired(), Length(*schemas.TITLE_LENGTH, message="Use 3 to 140 characters.")])
    description = TextAreaField("Description", validators=[
        Optional(), Length(max=schemas.DESCRIPTION_MAX, message="Use at most 5000 characters.")])
    category = SelectField("Category", validators=[InputRequired("Choose a category.")])
    price_idr = IntegerField("Price (Rp)", validators=[
        InputRequired(NOT_A_NUMBER), NumberRange(*schemas.PRICE_RANGE, message="From Rp 1.000 to Rp 1.000.000.000.")])
    stock = IntegerField("Stock", validators=[
        InputRequired(NOT_A_NUMBER), NumberRange(*schemas.STOCK_RANGE, message="From 0 to 100.000.")])
    weight_grams = IntegerField("Weight (grams)", validators=[
        InputRequired(NOT_A_NUMBER), NumberRange(*schemas.WEIGHT_RANGE, message="From 1 to 50.000 grams.")])
    fulfilment = SelectField("Fulfilment", validators=[InputRequired()])
    processing_days = IntegerField("Processing days", default=0, validators=[
        Optional(), NumberRange(*schemas.PROCESSING_DAYS_RANGE, message="From 0 to 90 days.")])

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
        for field in (self.price_idr, self.stock, self.weight_grams, self.processing_days):
            field.render_kw = {"inputmode": "numeric"}

    def values(self) -> dict[str, Any]:
        """The fields as the listings service takes them."""
        return {
            "title": (self.title.data or "").strip(),
            "description": (self.description.data or "").strip(),
            "category": self.category.data,
            "price_idr": self.price_idr.data,
            "stock": self.stock.data,
            "weight_grams": self.weight_grams.data,
            "fulfilment": self.fulfilment.data,
            "processing_days": self.processing_days.data or 0,
        }


class PhotoForm(FlaskForm):
    file = FileField("Photo (JPEG, PNG or WebP)", validators=[FileRequired("Choose a photo.")])


class ActionForm(FlaskForm):
    """A button that changes state (withdraw, resubmit, delete photo): only the CSRF token."""
