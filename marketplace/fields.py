"""Marshmallow fields shared by the API schemas, the page forms (through them) and the event schemas.

Their default messages are user-readable message ids (translated by the templates, see
``templates/_form_macros.html``), because the same schema checks a JSON body and a page form: the API
and the pages say the same thing about the same bad input.
"""

from __future__ import annotations

import numbers
import re
import unicodedata
from typing import Any

from marshmallow import Schema, ValidationError, fields, pre_load, validates_schema

#: Messages every input shares (each has an Indonesian translation).
REQUIRED = "This field is required."
WHOLE_NUMBER = "Enter a whole number."
NOT_TEXT = "Not a valid string."
INVALID_CHOICE = "Not a valid choice."
CONTROL_CHARACTERS = "Remove the control characters from this text."
NOTHING_TO_CHANGE = "Send at least one field to change."

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
    parses its text into an integer first, :class:`marketplace.web.forms.WholeNumberField`, with the same
    message.)"""

    default_error_messages = {**_REQUIRED_MESSAGES, "invalid": WHOLE_NUMBER}


class QueryNumber(fields.Integer):
    """A whole number in a query string, which is text: ``"2"`` is 2; ``"2.5"`` and ``"two"`` are
    refused with :data:`WHOLE_NUMBER` (:class:`WholeNumber` is for JSON, where a number is a number)."""

    default_error_messages = {**_REQUIRED_MESSAGES, "invalid": WHOLE_NUMBER}

    def __init__(self, **kwargs: Any):
        super().__init__(strict=False, **kwargs)


#: Control characters (ANSI escapes start with one) other than tab, newline and carriage return, and
#: the bidi embeddings, overrides and isolates that make text display in another order than it reads.
_FORBIDDEN_SET = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069"
_FORBIDDEN = re.compile(f"[{_FORBIDDEN_SET}]")
#: The same rule as a JSON Schema ``pattern`` (the OpenAPI document of every :class:`Text`).
CONTROL_FREE_PATTERN = f"^[^{_FORBIDDEN_SET}]*$"
#: Characters that show nothing: zero-width space, word joiner, BOM, soft hyphen, direction marks...
_INVISIBLE = re.compile(r"[\u00ad\u061c\u180e\u200b\u200e\u200f\u2060-\u2064\ufeff]")
#: Joiners are invisible too, but a zero-width joiner inside an emoji (👩‍🎨) or a word is meaningful:
#: only those next to a space, an end of the text or another joiner go.
_LOOSE_JOINERS = re.compile(r"(?<!\S)[\u200c\u200d]+|[\u200c\u200d]+(?!\S)")
#: Characters that look blank but are not whitespace to Python (Hangul fillers, blank Braille cell).
_BLANK_LOOKING = re.compile(r"[\u115f\u1160\u3164\uffa0\u2800]")


def visible_text(value: str) -> str:
    """``value`` in NFC with the invisible characters removed and the blank-looking ones made spaces,
    so that a title of zero-width spaces is empty, and "Batik" is one string whatever was pasted."""
    value = unicodedata.normalize("NFC", value)
    value = _INVISIBLE.sub("", value)
    value = _BLANK_LOOKING.sub(" ", value)
    return _LOOSE_JOINERS.sub("", value)


class Text(fields.String):
    """A string whose missing, null and wrong-type messages are readable on a form, and that refuses
    control characters and bidi overrides (a terminal escape or a reversed title is never input).

    It leaves the text as sent otherwise (a password is one); :class:`TrimmedString` and
    :class:`OneLine`, for text people read, also drop invisible characters.
    """

    default_error_messages = {**_REQUIRED_MESSAGES, "invalid": NOT_TEXT, "control": CONTROL_CHARACTERS}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The OpenAPI document says it too (unless a regex validator of the field says more).
        if not any(isinstance(getattr(v, "regex", None), re.Pattern) for v in self.validators):
            self.metadata = {"pattern": CONTROL_FREE_PATTERN, **self.metadata}

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if _FORBIDDEN.search(text):
            raise self.make_error("control")
        return text


class TrimmedString(Text):
    """Text people read (descriptions, reasons, addresses): invisible characters dropped
    (:func:`visible_text`), surrounding whitespace removed, before length checks."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return visible_text(super()._deserialize(value, attr, data, **kwargs)).strip()


class OneLine(TrimmedString):
    """A name or title: a :class:`TrimmedString` with runs of whitespace (newlines, tabs) collapsed to one space."""

    def _deserialize(self, value: Any, attr: str | None, data: Any, **kwargs: Any) -> str:
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


class PatchSchema(Schema):
    """The body of a PATCH: every field optional, only the fields sent change, and at least one is
    sent (an empty PATCH is a client bug, not a success that changed nothing).

    ``OPENAPI`` (here and on any schema class): JSON Schema keys the OpenAPI document adds to the
    schema's own, for rules of the whole body (:class:`marketplace.web.apidoc.CommonErrorsPlugin`)."""

    OPENAPI = {"minProperties": 1}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs["partial"] = True
        super().__init__(*args, **kwargs)

    @validates_schema
    def _something_to_change(self, data: dict[str, Any], **_kw: Any) -> None:
        if not data:
            raise ValidationError(NOTHING_TO_CHANGE)


class UploadedFile(fields.Raw):
    """A file of a multipart upload, documented as one (``format: binary``) that is not empty. What
    its bytes must be (a JPEG, PNG or WebP photo) the upload's service checks: 415 otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        metadata = {"type": "string", "format": "binary", "minLength": 1, **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)


class QuerySchema(Schema):
    """The parameters of a GET (a query string, a GET form): an empty value counts as absent, since a
    form sends every field, filled in or not."""

    @pre_load
    def _drop_empty(self, data: Any, **_kw: Any) -> Any:
        if hasattr(data, "items"):
            return {k: v for k, v in data.items() if not (isinstance(v, str) and v.strip() == "")}
        return data


def day_pattern(first_year: int, last_year: int) -> str:
    """A JSON Schema ``pattern`` for the calendar days (``YYYY-MM-DD``) of ``first_year`` to ``last_year``,
    Feb 29 in leap years only: a date range in the OpenAPI document (JSON Schema's minimum and maximum
    are for numbers). :class:`Day` puts it in the document (with no ``format``, which would be one rule too many)."""
    years = "|".join(str(y) for y in range(first_year, last_year + 1))
    leap = "|".join(str(y) for y in range(first_year, last_year + 1) if y % 4 == 0 and (y % 100 or y % 400 == 0))
    month_day = ("(?:0[13578]|1[02])-(?:0[1-9]|[12][0-9]|3[01])|(?:0[469]|11)-(?:0[1-9]|[12][0-9]|30)"
                 "|02-(?:0[1-9]|1[0-9]|2[0-8])")
    return f"^(?:(?:{years})-(?:{month_day})|(?:{leap})-02-29)$"


class Day(fields.Date):
    """A calendar day (``YYYY-MM-DD``) between two years, documented as a ``pattern`` of exactly those days.

    The range is also checked (``validate``, with the caller's message); the document's pattern tells
    a client (and the fuzz test) which days the server takes."""

    def __init__(self, *, years: tuple[int, int], **kwargs: Any) -> None:
        metadata = {"pattern": day_pattern(*years), **kwargs.pop("metadata", {})}
        super().__init__(metadata=metadata, **kwargs)
