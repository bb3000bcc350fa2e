"""Moderation page forms (CSRF on each)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField
from wtforms.validators import InputRequired, Length

from marketplace.listings.schemas import REASON_LENGTH


class ApproveForm(FlaskForm):
    """Approve: only the CSRF token."""


class RejectForm(FlaskForm):
    reason = TextAreaField("Reason (the seller sees it)", validators=[
        InputRequired(), Length(*REASON_LENGTH, message="Give a reason of 3 to 1000 characters.")])
