"""Dispute page forms (CSRF on each); their rules are ``disputes.schemas``' (the API's)."""

from __future__ import annotations

from wtforms import IntegerField, MultipleFileField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import SchemaForm

#: What the buyer picks, with the labels the page translates.
REASON_LABELS = (("not_received", "The parcel has not arrived"), ("damaged", "It arrived damaged"),
                 ("not_as_described", "It is not as described"), ("wrong_item", "I received the wrong item"))


class DisputeForm(SchemaForm):
    reason = RadioField("What went wrong?", choices=[SelectChoice(v, label) for v, label in REASON_LABELS],
                        validate_choice=False)
    text = TextAreaField("Tell the artisan what happened")
    photos = MultipleFileField("Photos (up to 5)")

    def values(self) -> dict[str, object]:
        """The schema's fields only (the photos go to the image pipeline, not the schema)."""
        return {k: v for k, v in super().values().items() if k != "photos"}


class RespondForm(SchemaForm):
    text = TextAreaField("Your answer")


class RefundForm(SchemaForm):
    amount_idr = IntegerField("Amount to refund (Rp)")


class ResolveForm(SchemaForm):
    outcome = RadioField("Decision", choices=[SelectChoice("refund", "Refund the buyer's money"),
                                              SelectChoice("reject", "Reject the dispute")], validate_choice=False)
    amount_idr = IntegerField("Amount to refund (Rp; empty: everything the buyer paid)")
    note = TextAreaField("Note to both parties")
