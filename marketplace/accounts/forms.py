"""Page forms (Flask-WTF: CSRF token on every form)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from typing import Any

from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, Length

from marketplace.i18n import gettext as _


class LoginForm(FlaskForm):
    email = EmailField("Email", validators=[DataRequired(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(max=200)])


class RegisterForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=120)])
    email = EmailField("Email", validators=[DataRequired(), Email(), Length(max=254)])
    password = PasswordField("Password", validators=[DataRequired(), Length(min=10, max=200)])
    role = SelectField("I want to", validators=[DataRequired()])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Built per request so the option labels follow the visitor's language.
        self.role.choices = [SelectChoice("buyer", _("buy")), SelectChoice("artisan", _("sell"))]
