"""Accounts API: register, token, me, revoke; bad input and access rules."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select


def register(api, **overrides):
    body = {"email": "sari@example.id", "password": "kain-tenun-123", "name": "Sari", "role": "artisan"}
    body.update(overrides)
    return api.post("/api/v1/auth/register", json=body)


def test_register_then_token_then_me(api):
    resp = register(api)
    assert resp.status_code == 201, resp.json
    assert resp.json["email"] == "sari@example.id" and resp.json["role"] == "artisan"
    assert "password" not in resp.json and "password_hash" not in resp.json

    tok = api.post("/api/v1/auth/token", json={"email": "SARI@example.id", "password": "kain-tenun-123"})
    assert tok.status_code == 200 and tok.json["token_type"] == "Bearer"
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {tok.json['access_token']}"})
    assert me.status_code == 200 and me.json["name"] == "Sari"


def test_duplicate_email_is_409_and_nothing_written(api, db_session):
    from marketplace.accounts.models import User

    assert register(api).status_code == 201
    again = register(api, email="Sari@Example.id")
    assert again.status_code == 409 and again.json["error"]["fields"]["email"]
    assert len(db_session.scalars(select(User)).all()) == 1


def test_bad_inputs_name_the_field(api, db_session):
    from marketplace.accounts.models import User

    cases = [
        ({"email": "not-an-email"}, "email"),
        ({"password": "short"}, "password"),
        ({"role": "admin"}, "role"),
        ({"name": ""}, "name"),
        ({"name": 12}, "name"),
        ({"extra": "x"}, "extra"),
    ]
    for override, field in cases:
        resp = register(api, **override)
        assert resp.status_code == 422, (override, resp.json)
        assert resp.json["error"]["code"] == "validation_error"
        assert field in resp.json["error"]["fields"], (override, resp.json)
    assert db_session.scalars(select(User)).all() == []


def test_non_json_and_malformed_json(api):
    resp = api.post("/api/v1/auth/register", data="email=a", content_type="application/x-www-form-urlencoded")
    assert resp.status_code == 415 and resp.json["error"]["code"] == "unsupported_media_type"
    resp = api.post("/api/v1/auth/register", data="{not json", content_type="application/json")
    assert resp.status_code == 400 and resp.json["error"]["code"] == "invalid_json"


def test_wrong_password_and_unknown_email_are_401(api):
    register(api)
    for body in ({"email": "sari@example.id", "password": "wrong-password"}, {"email": "x@example.id", "password": "kain-tenun-123"}):
        resp = api.post("/api/v1/auth/token", json=body)
        assert resp.status_code == 401 and resp.json["error"]["code"] == "unauthorized"


def test_me_requires_a_valid_token(api):
    assert api.get("/api/v1/me").status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": "Bearer nope"}).status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": "Basic abc"}).status_code == 401


def test_revoked_token_stops_working(api):
    user = api.make_user("buyer")
    assert api.get("/api/v1/me", as_=user).status_code == 200
    assert api.delete("/api/v1/auth/token", as_=user).status_code == 204
    assert api.get("/api/v1/me", as_=user).status_code == 401


def test_expired_token_stops_working(api, db_session):
    from marketplace.accounts.models import ApiToken
    from marketplace.db import utcnow

    user = api.make_user("buyer")
    row = db_session.scalars(select(ApiToken).where(ApiToken.user_id == user.id)).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    db_session.commit()
    assert api.get("/api/v1/me", as_=user).status_code == 401


def test_token_endpoint_is_rate_limited(app, api):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    codes = [api.post("/api/v1/auth/token", json={"email": "a@b.id", "password": "x"}).status_code for _ in range(5)]
    assert codes[:3] == [401, 401, 401]
    assert codes[3:] == [429, 429]
    resp = api.post("/api/v1/auth/token", json={"email": "a@b.id", "password": "x"})
    assert resp.json["error"]["code"] == "rate_limited"


def test_password_is_stored_as_argon2id(api, db_session):
    from marketplace.accounts.models import User

    register(api)
    user = db_session.scalars(select(User)).one()
    assert user.password_hash.startswith("$argon2id$") and "kain-tenun-123" not in user.password_hash
