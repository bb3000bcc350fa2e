"""Account page forms (Flask-WTF: CSRF token on every form).

Fields, labels and choices only: the rules and their messages are the schemas' (``RegisterIn``,
``TokenIn``), applied by :func:`marketplace.web.forms.load_form`.
"""

from __future__ import annotations

from typing import Any

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice

from marketplace.accounts.schemas import REGISTER_ROLES
from marketplace.web.forms import SchemaForm
from marketplace.web.i18n import gettext as _

#: How the register form words each role (the roles themselves are the schema's).
ROLE_LABELS = {"buyer": "buy", "artisan": "sell"}


class LoginForm(SchemaForm):
    email = EmailField("Email")
    password = PasswordField("Password")


class RegisterForm(SchemaForm):
    name = StringField("Name")
    email = EmailField("Email")
    password = PasswordField("Password")
    role = SelectField("I want to", validate_choice=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the option labels follow the visitor's language.
        self.role.choices = [SelectChoice(role, _(ROLE_LABELS[role])) for role in REGISTER_ROLES]


class PasswordChangeForm(SchemaForm):
    current_password = PasswordField("Current password")
    new_password = PasswordField("New password")
