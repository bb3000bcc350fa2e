"""The register and login input rules on their own: no app, no database."""

from __future__ import annotations

import pytest
from marshmallow import ValidationError

from marketplace.accounts.schemas import MIN_PASSWORD_LENGTH, REGISTER_ROLES, RegisterIn, TokenIn, password_error

GOOD = {"email": "budi@example.id", "password": "anyaman-bambu-1", "name": "Budi", "role": "buyer"}


def errors(schema, data) -> dict:
    with pytest.raises(ValidationError) as err:
        schema.load(data)
    return err.value.normalized_messages()


def test_a_good_registration_loads_with_the_name_tidied():
    assert RegisterIn().load({**GOOD, "name": "  Budi   Santoso "})["name"] == "Budi Santoso"


@pytest.mark.parametrize("change,field,message", [
    ({"email": "nope"}, "email", "Invalid email address."),
    ({"password": "x" * (MIN_PASSWORD_LENGTH - 1)}, "password", "Use at least 10 characters."),
    ({"password": "x" * 201}, "password", "Use at most 200 characters."),
    ({"name": " "}, "name", "This field is required."),
    ({"role": "admin"}, "role", "Not a valid choice."),
    ({"is_admin": True}, "is_admin", "Unknown field."),
])
def test_each_rule_and_its_message(change, field, message):
    assert errors(RegisterIn(), {**GOOD, **change})[field] == [message]


def test_the_password_rule_is_one_function_and_roles_are_buyer_and_artisan():
    assert password_error("kain tenun" + "x" * (MIN_PASSWORD_LENGTH - 10)) is None
    assert password_error("short") == "Use at least 10 characters."
    assert REGISTER_ROLES == ("buyer", "artisan")


def test_login_needs_both_fields():
    assert errors(TokenIn(), {"email": "", "password": ""}) == {
        "email": ["This field is required."], "password": ["This field is required."]}
