"""What every page form shares: its rules come from the API schema, and errors are shown on it.

A page form (``<feature>/forms.py``) holds only what a page needs: fields, labels, choices and the
CSRF token. The rules of an input and their messages live once, in its marshmallow schema
(``<feature>/schemas.py``), which the JSON API uses too (ARCHITECTURE.md §8). :func:`load_form`
checks the CSRF token and parses the fields' text (a number field that holds no number), then loads
the form's values through that schema and puts each message on its field. So the API and the pages
say the same thing about the same bad input.

Statuses: 400 when the request itself is unusable (no or stale CSRF token, text where a number must
be), 422 when it breaks an input rule (as the API answers), a domain error's own status after that.
Messages stay message ids: the templates translate them (``_form_macros.html``).
"""

from __future__ import annotations

import re
from typing import Any

from flask import flash, redirect
from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import Form, IntegerField
from wtforms.widgets import TextInput

from marketplace.errors import DomainError
from marketplace.fields import WHOLE_NUMBER
from marketplace.web.errors import status_for
from marketplace.web.i18n import gettext
from marketplace.web.transaction import discard

#: Fields of a form that are not part of its input.
_NOT_INPUT = frozenset({"csrf_token", "submit"})


class WholeNumberField(IntegerField):
    """An integer input: blank is "not given" (the schema decides whether that is allowed), text that
    is no number is refused with the message the schema gives a non-integer."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", WHOLE_NUMBER)
        kwargs.setdefault("render_kw", {"inputmode": "numeric"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist: list[Any]) -> None:
        if valuelist and not str(valuelist[0]).strip():
            self.data = None
            return
        super().process_formdata(valuelist)


#: The one message of a price that is not an amount of rupiah (the schema's limits come after it).
RUPIAH_FORMAT = "Enter the price in rupiah, e.g. 150.000 or 150000."
_RP_PREFIX = re.compile(r"^rp\.?\s*", re.IGNORECASE)
_GROUPED = re.compile(r"\d{1,3}(?:\.\d{3})+")
_NO_CENTS = re.compile(r"(?:,-|,0{1,2})$")


def parse_rupiah(text: str) -> int | None:
    """Rupiah as Indonesians write them → an integer, or None when ``text`` is no such amount.

    ``150000``, ``150.000`` (dots group thousands), ``Rp 150.000``, ``Rp150.000,-`` and ``150.000,00``
    are 150000. A dot that does not group thousands (``150.5``, ``1.50``) is refused rather than
    guessed: rupiah have no cents, so ``150.5`` is a typo, not 150 or 1505.
    """
    value = _RP_PREFIX.sub("", text.strip())
    value = _NO_CENTS.sub("", value).replace(" ", "").replace("\u00a0", "")
    if value.isascii() and value.isdigit():
        return int(value)
    if _GROUPED.fullmatch(value):
        return int(value.replace(".", ""))
    return None


class RupiahField(WholeNumberField):
    """A price typed by a person: a text box (a number box would refuse or misread ``150.000``) whose
    text :func:`parse_rupiah` turns into whole rupiah; anything else gets one message, RUPIAH_FORMAT.
    The JSON API keeps plain integers (:class:`marketplace.fields.WholeNumber`)."""

    widget = TextInput()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("invalid_value_message", RUPIAH_FORMAT)
        kwargs.setdefault("render_kw", {"inputmode": "numeric", "placeholder": "150.000", "autocomplete": "off"})
        super().__init__(*args, **kwargs)

    def _value(self) -> str:
        if self.raw_data:
            return str(self.raw_data[0])
        if self.data is not None:
            return f"{self.data:,}".replace(",", ".")  # shown as typed: 150.000
        return ""

    def process_formdata(self, valuelist: list[Any]) -> None:
        if not valuelist or not str(valuelist[0]).strip():
            self.data = None
            return
        amount = parse_rupiah(str(valuelist[0]))
        if amount is None:
            self.data = None
            raise ValueError(self.invalid_value_message)
        self.data = amount


class CsrfOnly(FlaskForm):
    """A button that changes state: only the CSRF token."""


class SchemaForm(FlaskForm):
    """A page form whose rules are a schema's: no validators, only fields, labels and choices."""

    def values(self) -> dict[str, Any]:
        """The submitted input as the schema loads it; a field left blank (``None``) is not sent."""
        return {
            name: field.data for name, field in self._fields.items()
            if name not in _NOT_INPUT and field.data is not None
        }


def load_form(form: FlaskForm, schema: Schema) -> tuple[dict[str, Any] | None, int]:
    """``(values, 200)`` for a valid submission; ``(None, status)`` otherwise, messages on the form.

    ``(None, 200)`` when nothing was submitted (a GET). The values are the schema's output: trimmed,
    canonical, typed, ready for the service.
    """
    if not form.is_submitted():
        return None, 200
    if not form.validate():  # the CSRF token, and fields whose text cannot be parsed
        return None, 400
    values = form.values() if hasattr(form, "values") else {}
    try:
        return schema.load(values), 200
    except ValidationError as err:
        put_messages(form, err.normalized_messages())
        return None, 422


def put_messages(form: Form, messages: Any) -> None:
    """Each message on its field; messages of no field (``_schema``, unknown names) above the form."""
    if not isinstance(messages, dict):
        messages = {"_schema": messages}
    for name, value in messages.items():
        texts = _texts(value)
        if name in form and name not in _NOT_INPUT:
            form[name].errors = list(form[name].errors) + texts
        else:
            form.form_errors.extend(texts)


def _texts(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [t for inner in value.values() for t in _texts(inner)]
    if isinstance(value, (list, tuple)):
        return [t for inner in value for t in _texts(inner)]
    return [str(value)]


def show_errors(form: Form, err: DomainError) -> int:
    """Put a domain error's messages on the form's fields (or above the form) and return its status.

    The use case was refused: nothing of it is kept, and the page shows things as they are
    (:func:`marketplace.web.transaction.discard`)."""
    discard()
    placed = False
    for name, messages in err.fields.items():
        if name in form:
            form[name].errors = list(form[name].errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(err.message)
    return status_for(err)


def flash_refusal(err: DomainError, text: str | None = None) -> None:
    """Say why a use case was refused in a flash message (``text``, or the error's own message, in the
    visitor's language) for the page a redirect leads to; nothing of the use case is kept, even though
    the redirect's status would commit (:func:`marketplace.web.transaction.discard`)."""
    discard()
    flash(text if text is not None else gettext(err.message), "error")


def act_then_redirect(action: Any, target: str) -> Any:
    """A button's use case (``action()``): "Done." or why it was refused, in a flash, then a redirect to
    ``target`` (a refusal keeps nothing: :func:`flash_refusal`)."""
    try:
        action()
    except DomainError as err:
        flash_refusal(err)
    else:
        flash(gettext("Done."), "info")
    return redirect(target)


def processed_photos(field: Any, limit: int, too_many: str) -> list[Any]:
    """The photos chosen in a multiple-file ``field``, decoded by the bounded image pool outside any
    transaction (the request's reads are ended first); more than ``limit``: 422 ``too_many_photos`` with
    ``too_many`` on the field, and a bad photo raises its own 4xx — before anything is written."""
    from marketplace.db import end_reads
    from marketplace.errors import ValidationFailed
    from marketplace.web.deps import deps
    from marketplace.web.transaction import get_session

    uploads = [f for f in (field.data or []) if getattr(f, "filename", None)]
    if len(uploads) > limit:
        raise ValidationFailed(too_many, fields={"photos": [too_many]}, code="too_many_photos")
    if not uploads:
        return []
    end_reads(get_session())
    return [deps().image_processor.process(f.read()) for f in uploads]
