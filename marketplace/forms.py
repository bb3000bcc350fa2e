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

from typing import Any

from flask_wtf import FlaskForm
from marshmallow import Schema, ValidationError
from wtforms import Form, IntegerField

from marketplace.errors import DomainError
from marketplace.fields import WHOLE_NUMBER
from marketplace.web import status_for

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
    """Put a domain error's messages on the form's fields (or above the form) and return its status."""
    placed = False
    for name, messages in err.fields.items():
        if name in form:
            form[name].errors = list(form[name].errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(err.message)
    return status_for(err)
