"""Account use cases called directly, in a transaction rolled back after each test (``tx``)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from marketplace.accounts import services
from marketplace.db import utcnow
from marketplace.errors import Conflict, Unauthorized

PASSWORD = "correct horse battery"


def test_register_normalises_the_email_and_refuses_a_second_account(tx):
    user = services.register(tx, email=" Sari@Example.ID ", password=PASSWORD, name="Sari", role="artisan")
    assert user.email == "sari@example.id" and user.is_artisan
    with pytest.raises(Conflict):
        services.register(tx, email="sari@example.id", password=PASSWORD, name="Sari 2", role="buyer")


def test_authenticate_accepts_the_password_and_nothing_else(tx):
    services.register(tx, email="budi@example.id", password=PASSWORD, name="Budi", role="buyer")
    assert services.authenticate(tx, "BUDI@example.id", PASSWORD).name == "Budi"
    for email, password in (("budi@example.id", "wrong password!"), ("nobody@example.id", PASSWORD)):
        with pytest.raises(Unauthorized):
            services.authenticate(tx, email, password)


def test_tokens_work_until_revoked_or_expired(tx):
    user = services.register(tx, email="rina@example.id", password=PASSWORD, name="Rina", role="buyer")
    token, row = services.issue_token(tx, user, ttl_hours=1)
    assert services.user_for_token(tx, token) == (user, row.id)
    assert services.user_for_token(tx, token, now=utcnow() + timedelta(hours=2)) is None
    services.revoke_token(tx, row)
    assert services.user_for_token(tx, token) is None


def test_create_admin_promotes_an_existing_account(tx):
    user = services.register(tx, email="admin@example.id", password=PASSWORD, name="A", role="buyer")
    assert services.create_admin(tx, email="admin@example.id", password="another password") is user
    assert user.is_admin and services.authenticate(tx, "admin@example.id", "another password") is user


def test_passwords_are_hashed_with_argon2id_at_the_recommended_cost_unless_configured_otherwise():
    from argon2 import Type

    from marketplace.config import Settings

    assert Settings.from_env({}).password_hash_profile == "default"
    strong = services._hasher_for("default")
    assert strong.type is Type.ID and strong.time_cost >= 2 and strong.memory_cost >= 19_456  # OWASP minimum
    assert services._hasher_for("cheapest").time_cost == 1  # the test suite's (conftest.py)
    assert strong.verify(services._hasher_for("cheapest").hash("x" * 12), "x" * 12)  # old hashes still verify
