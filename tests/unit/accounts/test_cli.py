"""``marketplace create-admin``."""

from __future__ import annotations

from click.testing import CliRunner


def test_create_admin_then_login(app, api, database_url, monkeypatch):
    from marketplace.cli import make_cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(make_cli(), ["create-admin", "Admin@Pasar.id", "--password", "moderasi-aman-1"])
    assert result.exit_code == 0, result.output
    tok = api.post("/api/v1/auth/token", json={"email": "admin@pasar.id", "password": "moderasi-aman-1"})
    me = api.get("/api/v1/me", headers={"Authorization": f"Bearer {tok.json['access_token']}"})
    assert me.json["role"] == "admin"


def test_create_admin_rejects_weak_password(app, database_url, monkeypatch):
    from marketplace.cli import make_cli

    monkeypatch.setenv("DATABASE_URL", database_url)
    result = CliRunner().invoke(make_cli(), ["create-admin", "a@pasar.id", "--password", "short"])
    assert result.exit_code != 0 and "Password too short" in result.output
