"""What every page form shares: showing a service's domain error on the form it came from."""

from __future__ import annotations

from wtforms import Form

from marketplace.errors import DomainError
from marketplace.web import status_for


def show_errors(form: Form, err: DomainError) -> int:
    """Put a domain error's messages on the form's fields (or above the form) and return its status.

    Messages stay message ids: the templates translate them (``_form_macros.html``).
    """
    placed = False
    for name, messages in err.fields.items():
        if name in form:
            form[name].errors = list(form[name].errors) + list(messages)
            placed = True
    if not placed:
        form.form_errors.append(err.message)
    return status_for(err)
