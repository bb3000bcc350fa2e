"""Moderation page forms (CSRF on each). Their rules are :mod:`marketplace.moderation.schemas`' (the
revision seen, the reject reason): the same as the API's."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import TextAreaField

from marketplace.web.forms import SchemaForm, WholeNumberField


class ApproveForm(SchemaForm):
    """Approve: the CSRF token and the revision the page showed (a hidden input)."""

    revision = WholeNumberField()


class RejectForm(SchemaForm):
    revision = WholeNumberField()
    reason = TextAreaField("Reason (the seller sees it)")


class BulkForm(FlaskForm):
    """Approve or reject the ticked queue items. Each tick box (``items``, outside this form's element
    through the HTML ``form`` attribute) is ``<listing id>:<revision>``, the revision the page showed;
    the button pressed is the ``action``. Only the CSRF token and the reason are WTForms fields: the
    rules are :class:`~marketplace.moderation.schemas.BulkIn`'s."""

    reason = TextAreaField("Reason for rejecting (the sellers see it)")
