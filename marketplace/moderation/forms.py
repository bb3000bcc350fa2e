"""Moderation page forms (CSRF on each). The reject reason's rule is :class:`~marketplace.moderation.schemas.RejectIn`'s."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField

from marketplace.forms import SchemaForm


class ApproveForm(FlaskForm):
    """Approve: only the CSRF token."""


class RejectForm(SchemaForm):
    reason = TextAreaField("Reason (the seller sees it)")
