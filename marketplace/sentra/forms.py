"""Page forms for sentra, shop operations and reports (CSRF on each); their rules are the API schemas'."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms.fields.choices import SelectChoice
from wtforms import SelectField, StringField, TextAreaField

from marketplace.web.forms import SchemaForm, WholeNumberField
from marketplace.sentra.schemas import FOCUSES


class _PhotoMixin:
    """An optional photo (JPEG, PNG or WebP), decoded by the media pipeline the listing photos use;
    not part of the schema's input."""

    photo = FileField("Photo (JPEG, PNG or WebP)")

    def values(self) -> dict[str, Any]:
        values = SchemaForm.values(self)  # type: ignore[arg-type]
        values.pop("photo", None)
        return values


class SentraForm(_PhotoMixin, SchemaForm):
    name = StringField("Name")
    city = StringField("City")
    kelurahan = StringField("Kelurahan")
    focus = SelectField("Focus", choices=[SelectChoice(f) for f in FOCUSES], validate_choice=False)
    story = TextAreaField("Story")


class SentraEditForm(_PhotoMixin, SchemaForm):
    """Edit a sentra (a sentra does not move: no place fields); its shops are the ticked ``shop_ids``
    boxes, read by the view (one per shop of the kelurahan)."""

    name = StringField("Name")
    focus = SelectField("Focus", choices=[SelectChoice(f) for f in FOCUSES], validate_choice=False)
    story = TextAreaField("Story")


class ReasonForm(SchemaForm):
    reason = TextAreaField("Reason")


class AssignForm(FlaskForm):
    sentra_id = StringField("Sentra")


class TakeDownForm(SchemaForm):
    revision = WholeNumberField()
    reason = TextAreaField("Reason (the seller sees it)")
