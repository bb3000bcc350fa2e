"""Moderation page forms (CSRF on each). Their rules are :mod:`marketplace.moderation.schemas`' (the
revision seen, the reject reason): the same as the API's."""

from __future__ import annotations

from wtforms import TextAreaField

from marketplace.forms import SchemaForm, WholeNumberField


class ApproveForm(SchemaForm):
    """Approve: the CSRF token and the revision the page showed (a hidden input)."""

    revision = WholeNumberField()


class RejectForm(SchemaForm):
    revision = WholeNumberField()
    reason = TextAreaField("Reason (the seller sees it)")
