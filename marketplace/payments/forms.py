"""Payment page forms (CSRF on each): the sandbox's test card and its QRIS "simulate scan" button."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import AnyOf, InputRequired, Regexp

from marketplace.payments.methods import CODES
from marketplace.payments.schemas import CARD_NUMBER


class TestCardForm(FlaskForm):
    card_number = StringField("Card number (test)", validators=[
        InputRequired("Enter the card number as digits."), Regexp(CARD_NUMBER.regex, message=CARD_NUMBER.error)])


class QrisScanForm(FlaskForm):
    """Simulate a scan: only the CSRF token."""


class MethodForm(FlaskForm):
    """Choose how to pay: each method is a submit button ``name="method"`` (its value checked here)."""

    method = StringField("Payment method", validators=[InputRequired("Choose a payment method."),
                                                       AnyOf(CODES, message="Choose a payment method.")])


class SimulateForm(FlaskForm):
    """The sandbox completes the live attempt as its bank or e-wallet would: only the CSRF token."""
