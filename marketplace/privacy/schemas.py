"""Input of closing an account (shared by the API and the page): the password, as proof."""

from __future__ import annotations

from marshmallow import Schema, validate

from marketplace.accounts.schemas import MAX_PASSWORD_LENGTH, PASSWORD_LONG_MESSAGE
from marketplace.fields import REQUIRED, Text


class CloseAccountIn(Schema):
    """The account's password: a stolen token or an unattended browser cannot close an account."""

    password = Text(required=True, load_only=True, validate=[
        validate.Length(min=1, error=REQUIRED), validate.Length(max=MAX_PASSWORD_LENGTH, error=PASSWORD_LONG_MESSAGE)])
