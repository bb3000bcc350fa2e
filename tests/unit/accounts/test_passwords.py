"""Guessable passwords are refused (NIST SP 800-63B §5.1.1.2), offline, with the same words on API and page."""

from __future__ import annotations

import pytest

from marketplace.accounts.passwords import (
    COMMON_PASSWORDS_FILE,
    PASSWORD_GUESSABLE_MESSAGE,
    PASSWORD_PERSONAL_MESSAGE,
    common_passwords,
    guessable_password_error,
)
from marketplace.accounts.schemas import RegisterIn

GOOD = {"email": "sari.wulandari@example.id", "name": "Sari Wulandari", "role": "buyer"}


@pytest.mark.parametrize("password", [
    "1234567890", "0987654321", "aaaaaaaaaa", "password12", " " * 10, "\t" * 12, "PASSWORD12", "qwertyuiop",
    "abcdefghijkl", "ababababab", "abcabcabcabc", "1212121212", "password2024!", "iloveyou12", "Indonesia2024",
    "pasarkreatif1", "katasandi123", "qwerty12345",
])
def test_common_and_trivially_guessable_passwords_are_refused(password):
    assert guessable_password_error(password) == PASSWORD_GUESSABLE_MESSAGE


@pytest.mark.parametrize("password", [
    "correct horse battery", "anyaman-bambu-1", "kain-tenun-123", "eceng-gondok-2024", "Batik Tulis Lasem",
    "moderasi-aman-1", "sambal matah pedas", "Q7#kz!p2Lm",
])
def test_passwords_a_guesser_would_not_try_early_pass(password):
    assert guessable_password_error(password, email=GOOD["email"], name=GOOD["name"]) is None


@pytest.mark.parametrize("password", [
    "sari.wulandari@example.id", "SARI.WULANDARI", "sari.wulandari12", "sariwulandari", "Sari Wulandari",
    "wulandari2024",
])
def test_the_users_own_email_or_name_is_refused(password):
    assert guessable_password_error(password, email=GOOD["email"], name=GOOD["name"]) == PASSWORD_PERSONAL_MESSAGE


def test_the_list_ships_in_the_package_and_is_the_twenty_thousand_most_common():
    assert COMMON_PASSWORDS_FILE.is_file()
    listed = common_passwords()
    assert len(listed) > 19000 and {"password12", "1234567890", "bismillah"} <= listed


@pytest.mark.parametrize("password, message", [
    ("password12", PASSWORD_GUESSABLE_MESSAGE),
    ("sariwulandari99", PASSWORD_PERSONAL_MESSAGE),
])
def test_the_register_schema_applies_the_rule_with_the_email_and_name(password, message):
    errors = RegisterIn().validate({**GOOD, "password": password})
    assert errors == {"password": [message]}


def test_api_register_refuses_a_common_password_and_writes_nothing(api):
    resp = api.post("/api/v1/auth/register", json={**GOOD, "password": "1234567890"})
    assert resp.status_code == 422
    assert resp.json["error"]["fields"] == {"password": [PASSWORD_GUESSABLE_MESSAGE]}
    assert api.post("/api/v1/auth/token", json={"email": GOOD["email"], "password": "1234567890"}).status_code == 401


def test_register_page_says_why_in_indonesian(client, auth):
    token = auth.csrf_token("/register")
    resp = client.post("/register", data={**GOOD, "password": "aaaaaaaaaa", "csrf_token": token})
    assert resp.status_code == 422
    assert "Kata sandi ini terlalu umum atau mudah ditebak; pilih yang lain." in resp.get_data(as_text=True)
