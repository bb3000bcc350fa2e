"""Fulfilment page forms: fields and labels only; their rules are the API schemas' (``orders.schemas``
ShipIn and CancelIn, ``payments.schemas`` RefundIn), loaded by ``web.forms.load_form``."""

from __future__ import annotations

from wtforms import StringField, TextAreaField

from marketplace.web.forms import SchemaForm, WholeNumberField


class ShipForm(SchemaForm):
    courier = StringField("Courier")
    tracking_number = StringField("Tracking number")


class CancelForm(SchemaForm):
    reason = TextAreaField("Why you cannot send it (the buyer sees this)")


class RefundForm(SchemaForm):
    seller_order_id = WholeNumberField("What to refund")  # blank: the whole order
    reason = TextAreaField("Reason for the refund (the buyer sees this)")
