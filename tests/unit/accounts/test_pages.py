"""Account pages: register, log in, log out, CSRF, rate limit, language switch."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.conftest import PageAuth


def test_register_page_creates_account_and_logs_in(client, auth, db_session):
    from marketplace.accounts.models import User

    token = auth.csrf_token("/register")
    resp = client.post(
        "/register",
        data={"name": "Budi", "email": "budi@example.id", "password": "anyaman-bambu-1", "role": "buyer", "csrf_token": token},
    )
    assert resp.status_code == 302
    user = db_session.scalars(select(User).where(User.email == "budi@example.id")).one()
    assert user.role == "buyer"
    home = client.get("/").get_data(as_text=True)
    assert "Keluar" in home  # logged in: the nav offers "Log out" (in Bahasa Indonesia)


def test_register_form_errors_are_shown_not_500(client, auth, db_session):
    from marketplace.accounts.models import User

    token = auth.csrf_token("/register")
    resp = client.post("/register", data={"name": "", "email": "nope", "password": "short", "role": "buyer", "csrf_token": token})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert 'class="field-error"' in html
    for message in ("Wajib diisi.", "Alamat e-mail tidak valid.", "Gunakan minimal 10 karakter."):
        assert message in html
    assert db_session.scalars(select(User)).all() == []


def test_register_duplicate_email_is_a_form_error(client, auth, api):
    api.make_user("buyer", email="dup@example.id")
    token = auth.csrf_token("/register")
    resp = client.post(
        "/register",
        data={"name": "X", "email": "dup@example.id", "password": "anyaman-bambu-1", "role": "buyer", "csrf_token": token},
    )
    assert resp.status_code == 409
    assert "Sudah terdaftar." in resp.get_data(as_text=True)


def test_form_without_csrf_token_is_rejected(client, db_session):
    from marketplace.accounts.models import User

    resp = client.post("/register", data={"name": "X", "email": "x@example.id", "password": "anyaman-bambu-1", "role": "buyer"})
    assert resp.status_code == 400
    assert db_session.scalars(select(User)).all() == []


def test_login_logout(client, auth, api):
    user = api.make_user("artisan")
    bad = auth.login(user.email, "wrong-password!")
    assert bad.status_code == 401
    assert "E-mail atau kata sandi salah." in bad.get_data(as_text=True)
    ok = auth.login(user.email, user.password)
    assert ok.status_code == 302
    assert "Keluar" in client.get("/").get_data(as_text=True)
    assert auth.logout().status_code == 302
    assert "Masuk" in client.get("/").get_data(as_text=True)


def test_login_redirect_is_never_off_site(client, auth, api):
    user = api.make_user("buyer")
    token = auth.csrf_token("/login")
    resp = client.post("/login?next=https://evil.example/", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert resp.status_code == 302 and resp.headers["Location"] == "/"
    client.post("/logout", data={"csrf_token": auth.csrf_token("/")})
    token = auth.csrf_token("/login")
    resp = client.post("/login?next=//evil.example/x", data={"email": user.email, "password": user.password, "csrf_token": token})
    assert resp.headers["Location"] == "/"


def test_login_is_rate_limited(app, client, auth):
    app.config["LOGIN_RATE_LIMIT"] = "2 per minute"
    statuses = [auth.login("nobody@example.id", "whatever-pass").status_code for _ in range(4)]
    assert statuses[:2] == [401, 401] and statuses[2:] == [429, 429]


def test_session_cookie_is_httponly_and_lax(client, auth, api):
    user = api.make_user("buyer")
    resp = auth.login(user.email, user.password)
    cookie = resp.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_secure_cookie_flag_on_by_default(settings):
    from marketplace.web.app import create_app
    from marketplace.config import Settings

    assert Settings.from_env({}).session_cookie_secure is True
    app = create_app(settings.with_overrides(session_cookie_secure=True))
    assert app.config["SESSION_COOKIE_SECURE"] is True
    app.extensions["db"].dispose()


def test_language_switch_to_english_and_back(client):
    assert "Masuk" in client.get("/login").get_data(as_text=True)
    resp = client.get("/lang/en?next=/login")
    assert resp.status_code == 302 and resp.headers["Location"] == "/en/login"
    html = client.get("/en/login").get_data(as_text=True)
    assert ">Log in<" in html and 'lang="en"' in html
    assert client.get("/login").headers["Location"] == "/en/login"  # the choice is remembered
    client.get("/lang/id")
    assert 'lang="id"' in client.get("/login").get_data(as_text=True)


def test_password_change_logs_out_other_sessions(app, client, auth, api):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    assert "Keluar" in client.get("/").get_data(as_text=True)
    other = app.test_client()  # a second browser changes the password
    PageAuth(other).login(user.email, user.password)
    token = PageAuth(other).csrf_token("/account")
    resp = other.post("/account", data={"current_password": user.password, "new_password": "a-brand-new-password",
                                         "csrf_token": token})
    assert resp.status_code == 302
    assert "Keluar" in other.get("/").get_data(as_text=True)  # the browser that changed it stays in
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_csrf_token_present_on_every_form(client, auth, api):
    user = api.make_user("artisan")
    auth.login(user.email, user.password)
    for path in ("/login", "/register", "/"):
        html = client.get(path).get_data(as_text=True)
        forms = re.findall(r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", html, flags=re.S | re.I)
        for body in forms:
            assert "csrf_token" in body, (path, body[:200])
