"""Login and registration limits hold across every web process, on the embedded default (no Redis).

Before, counters were per gunicorn worker (``memory://``): 10 logins a minute let 20 through with two
workers. The default storage (``RATELIMIT_STORAGE_URI=database://``) counts in the shared database.
"""

from __future__ import annotations

import uuid

from marketplace.config import Settings
from tests.rate_limit_probe import post_from_processes


def _addr() -> str:
    """A client address of this test only (the limits count per address)."""
    n = uuid.uuid4().int
    return f"10.{n % 250}.{(n >> 8) % 250}.{(n >> 16) % 250 + 1}"


def _shared(settings: Settings, **changes) -> dict:
    base = {"database_url": settings.database_url, "secret_key": "test-secret-key", "testing": True,
            "session_cookie_secure": False, "var_dir": settings.var_dir, "media_root": settings.media_root}
    return {**base, **changes}


def test_the_default_storage_is_the_database_not_per_process_memory():
    assert Settings.from_env({}).ratelimit_storage_uri == "database://"
    assert Settings.from_env({"RATELIMIT_STORAGE_URI": "redis://cache:6379"}).ratelimit_storage_uri == "redis://cache:6379"


def test_two_web_processes_share_one_login_limit(app, settings):
    shared = _shared(settings, login_rate_limit="5 per minute")
    results = post_from_processes(shared, processes=2, attempts=6, path="/api/v1/auth/token",
                                  body={"email": "nobody@example.id", "password": "whatever-pass"}, addr=_addr())
    codes = [c for r in results for c in r]
    # Twelve attempts at the same moment from two processes: exactly five were let through in all.
    assert codes.count(401) == 5 and codes.count(429) == 7, results


def test_registration_is_limited_per_client_address_across_processes(app, settings):
    shared = _shared(settings, register_rate_limit="3 per hour")
    addr = _addr()
    body = {"email": "someone@example.id", "password": "correct horse battery", "name": "Someone", "role": "buyer"}
    results = post_from_processes(shared, processes=2, attempts=3, path="/api/v1/auth/register", body=body, addr=addr)
    codes = sorted(c for r in results for c in r)
    assert codes == [201, 409, 409, 429, 429, 429], results


def test_the_register_page_and_api_share_one_counter(app, client, api):
    app.config["REGISTER_RATE_LIMIT"] = "2 per hour"
    body = {"email": "a@example.id", "password": "correct horse battery", "name": "A", "role": "buyer"}
    assert api.post("/api/v1/auth/register", json=body).status_code == 201
    assert api.post("/api/v1/auth/register", json={**body, "email": "b@example.id"}).status_code == 201
    from tests.conftest import PageAuth

    token = PageAuth(client).csrf_token("/register")
    page = client.post("/register", data={**body, "email": "c@example.id", "csrf_token": token})
    assert page.status_code == 429
    assert api.post("/api/v1/auth/register", json={**body, "email": "d@example.id"}).json["error"]["code"] == "rate_limited"
    other = client.post("/register", data={**body, "email": "e@example.id", "csrf_token": token},
                        environ_base={"REMOTE_ADDR": "10.9.9.9"})
    assert other.status_code == 302  # another client address has its own count


def test_the_login_page_and_token_endpoint_share_one_counter(app, client, auth, api):
    app.config["LOGIN_RATE_LIMIT"] = "3 per minute"
    body = {"email": "nobody@example.id", "password": "whatever-pass"}
    assert [api.post("/api/v1/auth/token", json=body).status_code for _ in range(2)] == [401, 401]
    assert auth.login(body["email"], body["password"]).status_code == 401
    assert auth.login(body["email"], body["password"]).status_code == 429
    assert api.post("/api/v1/auth/token", json=body).status_code == 429


def test_a_new_window_starts_when_the_old_one_expired(settings, database_url):
    import time

    from marketplace.db import make_engine
    from marketplace.web.ratelimit import DatabaseStorage

    engine = make_engine(database_url, immediate=True)
    try:
        storage = DatabaseStorage("database://", engine=engine)
        key = f"test/{uuid.uuid4().hex}"
        assert [storage.incr(key, 60) for _ in range(3)] == [1, 2, 3]
        assert storage.get(key) == 3 and storage.get_expiry(key) > time.time() + 50
        assert storage.incr(key, 1) == 4  # the window's expiry is the first hit's, not extended
        short = f"test/{uuid.uuid4().hex}"
        storage.incr(short, 1)
        time.sleep(1.1)
        assert storage.get(short) == 0 and storage.incr(short, 1) == 1
        storage.clear(key)
        assert storage.get(key) == 0 and storage.check()
    finally:
        engine.dispose()


def test_failed_logins_are_limited_per_account_whatever_address_they_come_from(app, client, auth, api):
    """Issue #30: one guess from each of many addresses got around the per-address limit."""
    app.config["LOGIN_ACCOUNT_RATE_LIMIT"] = "3 per hour"
    victim = api.make_user("buyer", password="the-right-password-1")
    other = api.make_user("buyer", password="the-right-password-2")

    def token(email, password, addr):
        return client.post("/api/v1/auth/token", json={"email": email, "password": password},
                           environ_base={"REMOTE_ADDR": addr}).status_code

    assert token(victim.email, "the-right-password-1", _addr()) == 200  # a success is not counted
    assert [token(victim.email, "wrong-guess-number", _addr()) for _ in range(2)] == [401, 401]
    assert auth.login(victim.email.upper(), "wrong-guess-number").status_code == 401  # page, same account
    assert token(victim.email, "wrong-guess-number", _addr()) == 429
    assert token(victim.email, "the-right-password-1", _addr()) == 429  # locked for the window
    assert token(other.email, "the-right-password-2", _addr()) == 200  # another account is not
