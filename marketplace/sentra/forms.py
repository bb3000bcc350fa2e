"""Page forms for sentra, shop operations and reports (CSRF on each); their rules are the API schemas'."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField

from marketplace.forms import SchemaForm, WholeNumberField
from marketplace.sentra.schemas import FOCUSES


class CsrfOnly(FlaskForm):
    """A button that changes state: only the CSRF token."""


class SentraForm(SchemaForm):
    name = StringField("Name")
    city = StringField("City")
    kelurahan = StringField("Kelurahan")
    focus = SelectField("Focus", choices=[(f, f) for f in FOCUSES])
    story = TextAreaField("Story")


class ReasonForm(SchemaForm):
    reason = TextAreaField("Reason")


class AssignForm(FlaskForm):
    sentra_id = StringField("Sentra")


class TakeDownForm(SchemaForm):
    revision = WholeNumberField()
    reason = TextAreaField("Reason (the seller sees it)")
