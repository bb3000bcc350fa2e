"""Review page forms (CSRF on each); their rules are ``reviews.schemas``' (the API's)."""

from __future__ import annotations

from wtforms import MultipleFileField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice

from marketplace.web.forms import SchemaForm


class ReviewForm(SchemaForm):
    rating = RadioField("Rating", choices=[SelectChoice(n, str(n)) for n in range(5, 0, -1)], coerce=int,
                        validate_choice=False)
    text = TextAreaField("Your review")
    photos = MultipleFileField("Photos (up to 5)")

    def values(self) -> dict[str, object]:
        """The schema's fields only (the photos go to the image pipeline, not the schema)."""
        return {k: v for k, v in super().values().items() if k != "photos"}


class ReplyForm(SchemaForm):
    text = TextAreaField("Reply")


class ReasonForm(SchemaForm):
    reason = TextAreaField("Reason")
