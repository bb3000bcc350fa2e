"""Chat page forms (CSRF on each); their rules are ``messaging.schemas``' (the API's)."""

from __future__ import annotations

from typing import Any

from flask_wtf.file import MultipleFileField
from wtforms import FileField, StringField, TextAreaField

from marketplace.web.forms import RupiahField, SchemaForm, WholeNumberField


class _WithFiles(SchemaForm):
    """A form whose file fields are handed to the image pipeline, not to the schema."""

    FILES: tuple[str, ...] = ()

    def values(self) -> dict[str, Any]:
        return {k: v for k, v in super().values().items() if k not in self.FILES}


class MessageForm(_WithFiles):
    FILES = ("photos",)
    text = TextAreaField("Message")
    photos = MultipleFileField("Photos")


class StartForm(SchemaForm):
    text = TextAreaField("Message")


class ReportForm(SchemaForm):
    reason = TextAreaField("Why are you reporting this conversation?")


class OfferForm(_WithFiles):
    FILES = ("photo",)
    title = StringField("Title")
    description = TextAreaField("Description")
    price_idr = RupiahField("Price (Rp)")
    quantity = WholeNumberField("Quantity")
    processing_days = WholeNumberField("Processing days")
    weight_grams = WholeNumberField("Weight (grams)")
    photo = FileField("Photo (optional)")
