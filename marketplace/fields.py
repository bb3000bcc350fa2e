"""Marshmallow fields shared by the API schemas, the page forms (through them) and the event schemas.

Their default messages are user-readable message ids (translated by the templates, see
``templates/_form_macros.html``), because the same schema checks a JSON body and a page form: the API
and the pages say the same thing about the same bad input.
"""

from __future__ import annotations

import numbers
from typing import Any

from marshmallow import Schema, fields, pre_load

#: Messages every input shares (each has an Indonesian translation).
REQUIRED = "This field is required."
WHOLE_NUMBER = "Enter a whole number."
NOT_TEXT = "Not a valid string."
INVALID_CHOICE = "Not a valid choice."

_REQUIRED_MESSAGES = {"required": REQUIRED, "null": REQUIRED}


class StrictInteger(fields.Integer):
    """An integer that must arrive as a JSON integer: ``"150000"``, ``150000.0`` and ``true`` are refused.

    Money and quantities are never coerced: a client that sends them as text or floats has a bug it
    should see, and rupiah must not pass through a float on the way in. The event schemas use it
    with marshmallow's own messages; user input uses :class:`WholeNumber`.
    """

    def __init__(self, **kwargs: Any):
        super().__init__(strict=True, **kwargs)

    def _validated(self, value: Any) -> int:
        if isinstance(value, bool) or not isinstance(value, numbers.Integral):
            raise self.make_error("invalid", input=value)
        return super()._validated(value)


class WholeNumber(StrictInteger):
    """A :class:`StrictInteger` typed by a person: its messages are readable on a form. (A page form
    parses its text into an integer first, :class:`marketplace.forms.WholeNumberField`, with the same
    message.)"""

    default_error_messages = {**_REQUIRED_MESSAGES, "invalid": WHOLE_NUMBER}


class Text(fields.String):
    """A string whose missing, null and wrong-type messages are readable on a form."""

    default_error_messages = {**_REQUIRED_MESSAGES, "invalid": NOT_TEXT}


class TrimmedString(Text):
    """A string with surrounding whitespace removed before length checks (descriptions, reasons)."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return super()._deserialize(value, attr, data, **kwargs).strip()


class OneLine(Text):
    """A name or title: trimmed, and runs of whitespace (newlines, tabs) collapsed to one space."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


class QuerySchema(Schema):
    """The parameters of a GET (a query string, a GET form): an empty value counts as absent, since a
    form sends every field, filled in or not."""

    @pre_load
    def _drop_empty(self, data: Any, **_kw: Any) -> Any:
        if hasattr(data, "items"):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
        return data
