"""Issue #30: an address that reads like an existing one does not open a second account. Fullwidth and
other compatibility letters are folded (NFKC) and then meet "already registered"; letters of another
alphabet mixed into an address, or posing as Latin ones, are refused with a message saying so."""

from __future__ import annotations

import pytest

from marketplace.accounts import lookalike

BODY = {"password": "anyaman-bambu-26", "name": "Pembeli", "role": "buyer"}


def register(client, email):
    return client.post("/api/v1/auth/register", json={**BODY, "email": email})


def test_a_fullwidth_copy_of_a_registered_address_is_the_same_address(client):
    assert register(client, "pembeli@example.id").status_code == 201
    copy = register(client, "\uff50\uff45mbeli@example.id")  # ｐｅmbeli
    assert copy.status_code == 409
    login = client.post("/api/v1/auth/token", json={"email": "\uff50embeli@EXAMPLE.id",
                                                     "password": BODY["password"]})
    assert login.status_code == 200  # the folded address is the account's


@pytest.mark.parametrize("email", [
    "p\u0435mbeli@example.id",  # Cyrillic е among Latin letters
    "pembeli@ex\u0430mple.id",  # … in the domain
    "\u0440\u0430\u0443\u0440\u0430@example.id",  # раура: wholly Cyrillic, every letter a Latin look-alike
    "pembel\u03b9@example.id",  # Greek iota
])
def test_an_address_mixing_alphabets_is_refused_and_names_why(client, email):
    resp = register(client, email)
    assert resp.status_code == 422
    assert resp.json["error"]["fields"]["email"] == [lookalike.MESSAGE]


def test_the_register_page_says_it_in_indonesian(client, auth):
    import re
    page = client.get("/register").get_data(as_text=True)
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    resp = client.post("/register", data={"csrf_token": token, "email": "p\u0435mbeli@example.id",
                                          "name": "Pembeli", "password": BODY["password"], "role": "buyer"})
    assert resp.status_code == 422
    assert "mencampur huruf dari abjad yang berbeda" in resp.get_data(as_text=True)


@pytest.mark.parametrize("email", ["siti.rahma+toko@example.co.id", "\u0441\u0435\u0440\u0433\u0435\u0439@mail.ru",
                                   "user@b\u00fccher.example"])
def test_plain_and_single_script_addresses_are_accepted(email):
    assert not lookalike.confusable(email)  # сергей: Cyrillic letters that are not all look-alikes
