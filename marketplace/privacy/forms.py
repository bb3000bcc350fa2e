"""The page form of closing an account."""

from __future__ import annotations

from wtforms import PasswordField

from marketplace.web.forms import SchemaForm


class CloseAccountForm(SchemaForm):
    password = PasswordField("Password")
