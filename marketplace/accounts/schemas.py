"""Accounts input rules (the one definition, for the API and the register/login pages) and output schemas."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from marketplace.accounts import lookalike
from marketplace.accounts.models import Role
from marketplace.accounts.passwords import (  # noqa: F401 (the messages are this schema module's too)
    PASSWORD_GUESSABLE_MESSAGE,
    PASSWORD_PERSONAL_MESSAGE,
    guessable_password_error,
)
from marketplace.accounts.phone import PHONE_MESSAGE, PHONE_PATTERN, normalise_phone
from marketplace.figures.profile import BirthYear, Crafts
from marketplace.fields import INVALID_CHOICE, REQUIRED, OneLine, PatchSchema, Text

MIN_PASSWORD_LENGTH = 10
MAX_PASSWORD_LENGTH = 200
EMAIL_MAX = 254
NAME_MAX = 120
#: Who may sign up by themselves (admins are made with ``marketplace create-admin``).
REGISTER_ROLES = (Role.BUYER.value, Role.ARTISAN.value)

PASSWORD_SHORT_MESSAGE = "Use at least 10 characters."
PASSWORD_LONG_MESSAGE = "Use at most 200 characters."
EMAIL_MESSAGE = "Invalid email address."
EMAIL_LONG_MESSAGE = "Use at most 254 characters."
NAME_LONG_MESSAGE = "Use at most 120 characters."

#: The password rule's lengths in the OpenAPI document (the rule itself is :func:`password_error`).
PASSWORD_DOC = {"minLength": MIN_PASSWORD_LENGTH, "maxLength": MAX_PASSWORD_LENGTH,
                "description": "Not a common or guessable password, nor one made of the e-mail or name (422)."}


def password_error(password: str, *, email: str | None = None, name: str | None = None) -> str | None:
    """The password rule: length, then not guessable (:mod:`marketplace.accounts.passwords`), also
    against the account's own e-mail and name when known. Schemas apply it; so do inputs without one
    (``create-admin`` on the command line, a password change, whose account the body does not name)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        return PASSWORD_SHORT_MESSAGE
    if len(password) > MAX_PASSWORD_LENGTH:
        return PASSWORD_LONG_MESSAGE
    return guessable_password_error(password, email=email, name=name)


def _password_rule(value: str) -> None:
    message = password_error(value)
    if message:
        raise validate.ValidationError(message)


class AccountEmail(fields.Email):
    """An address to open an account with: NFKC-normalised, then refused when it reads like another
    (:mod:`marketplace.accounts.lookalike`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        if isinstance(value, str):
            value = lookalike.normalise(value)
        address = super()._deserialize(value, attr, data, **kwargs)
        if address and lookalike.confusable(address):
            raise ValidationError(lookalike.MESSAGE)
        return address


class RegisterIn(Schema):
    email = AccountEmail(required=True, validate=validate.Length(max=EMAIL_MAX, error=EMAIL_LONG_MESSAGE),
                         error_messages={"required": REQUIRED, "null": REQUIRED, "invalid": EMAIL_MESSAGE})
    password = Text(required=True, load_only=True, validate=_password_rule, metadata=PASSWORD_DOC)
    name = OneLine(required=True, validate=[validate.Length(min=1, error=REQUIRED),
                                            validate.Length(max=NAME_MAX, error=NAME_LONG_MESSAGE)])
    role = fields.String(required=True, validate=validate.OneOf(REGISTER_ROLES, error=INVALID_CHOICE),
                         error_messages={"required": REQUIRED, "null": REQUIRED})

    @validates_schema
    def _password_not_personal(self, data: dict[str, Any], **_: Any) -> None:
        """The password rule again, now that the e-mail and name are known (runs only when each field passed)."""
        message = password_error(data["password"], email=data.get("email"), name=data.get("name"))
        if message:
            raise ValidationError(message, field_name="password")


class TokenIn(Schema):
    """E-mail and password to log in with (any text: a wrong one is simply "wrong e-mail or password")."""

    email = Text(required=True, validate=[validate.Length(min=1, error=REQUIRED),
                                          validate.Length(max=EMAIL_MAX, error=EMAIL_LONG_MESSAGE)])
    password = Text(required=True, load_only=True, validate=[
        validate.Length(min=1, error=REQUIRED), validate.Length(max=MAX_PASSWORD_LENGTH, error=PASSWORD_LONG_MESSAGE)])


class TokenOut(Schema):
    access_token = fields.String()
    token_type = fields.String()
    expires_at = fields.DateTime()


class PhoneNumber(Text):
    """An Indonesian mobile number as typed, loaded as E.164 (:mod:`marketplace.accounts.phone`); an
    empty text or null removes the number."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs["metadata"] = {"pattern": PHONE_PATTERN, **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str | None:
        text = super()._deserialize(value, attr, data, **kwargs)
        if not text or not text.strip():
            return None
        try:
            return normalise_phone(text)
        except ValueError as exc:
            raise ValidationError(PHONE_MESSAGE) from exc


class ProfileIn(PatchSchema):
    """What a user changes of their own account here: the phone number (WhatsApp messages need it); an
    artisan's birth year (private, used only in the programme's aggregates) and crafts."""

    phone = PhoneNumber(allow_none=True)
    birth_year = BirthYear(metadata={"description": "1940 to this year; null removes it; shown to nobody"})
    crafts = Crafts(metadata={"description": "craft categories practised (the catalogue's categories)"})


class UserOut(Schema):
    id = fields.Integer()
    email = fields.String()
    name = fields.String()
    role = fields.String()
    created_at = fields.DateTime()
    #: Only ever dumped for the user themself (``/me``).
    phone = fields.String(allow_none=True)


class PasswordChangeIn(Schema):
    """The current password (proof that it is the account's owner) and the new one."""

    current_password = Text(required=True, load_only=True, validate=[
        validate.Length(min=1, error=REQUIRED), validate.Length(max=MAX_PASSWORD_LENGTH, error=PASSWORD_LONG_MESSAGE)])
    new_password = Text(required=True, load_only=True, validate=_password_rule, metadata=PASSWORD_DOC)
