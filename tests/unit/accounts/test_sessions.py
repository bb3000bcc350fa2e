"""Server-side sessions: a logout, a password change or a suspension ends the session for every copy of
the cookie; idle and absolute lifetimes; API tokens revoked with them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.accounts import services
from marketplace.accounts.models import ApiToken, User, UserSession
from marketplace.db import utcnow
from marketplace.web import activity, deps
from tests.conftest import PageAuth

PASSWORD = "correct horse battery"


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None, "no session cookie"
    return cookie.value


def _replay(app, cookie: str):
    """A different browser that only has a copy of the cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def test_a_cookie_saved_before_logout_no_longer_opens_the_seller_pages(app, client, auth, api):
    artisan = api.make_user("artisan")
    auth.login(artisan.email, artisan.password)
    saved = _session_cookie(client)
    opened = _replay(app, saved).get("/seller")  # the copy works while logged in
    assert "/login" not in opened.headers.get("Location", "")
    auth.logout()
    resp = _replay(app, saved).get("/seller")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_each_login_is_its_own_session_and_logout_ends_only_that_one(app, client, auth, api):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    other = app.test_client()
    PageAuth(other).login(user.email, user.password)
    auth.logout()
    assert "Keluar" in other.get("/").get_data(as_text=True)
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_the_cookie_carries_a_random_session_id_not_the_user_id(client, auth, api, db_session):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    with client.session_transaction() as sess:
        assert set(sess) >= {"sid"} and "user_id" not in sess
        raw = sess["sid"]
    stored = db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).one()
    assert stored.id != raw and len(raw) >= 40  # only the hash is stored


def test_an_old_style_cookie_with_a_user_id_logs_nobody_in(client, api):
    user = api.make_user("buyer")
    with client.session_transaction() as sess:
        sess["user_id"] = user.id
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_idle_and_absolute_lifetimes_end_the_session(app, client, auth, api, db_session):
    settings = deps.of(app).settings
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    saved = _session_cookie(client)
    idle = timedelta(hours=settings.session_idle_hours)
    db_session.execute(update(UserSession).values(last_seen_at=utcnow() - idle + timedelta(minutes=5)))
    db_session.commit()
    assert "Keluar" in _replay(app, saved).get("/").get_data(as_text=True)  # not idle long enough yet
    db_session.execute(update(UserSession).values(last_seen_at=utcnow() - idle - timedelta(minutes=1)))
    db_session.commit()
    assert "Keluar" not in _replay(app, saved).get("/").get_data(as_text=True)

    auth.login(user.email, user.password)  # a fresh session, used a moment ago but logged in long ago
    db_session.execute(update(UserSession).where(UserSession.revoked_at.is_(None)).values(
        created_at=utcnow() - timedelta(days=settings.session_max_days, minutes=1)))
    db_session.commit()
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_last_seen_is_written_at_most_once_a_minute_and_a_read_writes_it_behind(app, client, auth, api,
                                                                                db_session):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    first = db_session.scalars(select(UserSession.last_seen_at)).one()
    client.get("/")
    client.get("/cart")
    assert activity.of(app).flush() == 0  # seen within the minute: nothing noted
    db_session.expire_all()
    assert db_session.scalars(select(UserSession.last_seen_at)).one() == first
    two_minutes_ago = utcnow() - timedelta(minutes=2)
    db_session.execute(update(UserSession).values(last_seen_at=two_minutes_ago))
    db_session.commit()
    client.get("/")  # a read request writes nothing itself...
    db_session.expire_all()
    assert db_session.scalars(select(UserSession.last_seen_at)).one() == two_minutes_ago
    db_session.rollback()
    assert activity.of(app).flush() == 1  # ...its note is written behind (every few seconds)
    db_session.rollback()
    assert db_session.scalars(select(UserSession.last_seen_at)).one() > two_minutes_ago + timedelta(minutes=1)
    assert "Keluar" in client.get("/").get_data(as_text=True)


def test_a_note_written_behind_never_revives_an_ended_session(app, client, auth, api, db_session):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    idle = timedelta(hours=deps.of(app).settings.session_idle_hours)
    almost_idle = utcnow() - idle + timedelta(minutes=5)
    db_session.execute(update(UserSession).values(last_seen_at=almost_idle))
    db_session.commit()
    assert "Keluar" in client.get("/").get_data(as_text=True)  # noted, not yet written
    db_session.execute(update(UserSession).values(revoked_at=utcnow()))  # ended meanwhile (elsewhere)
    db_session.commit()
    activity.of(app).flush()
    db_session.rollback()
    assert db_session.scalars(select(UserSession.last_seen_at)).one() == almost_idle
    assert "Keluar" not in client.get("/").get_data(as_text=True)


def test_a_deactivated_account_is_logged_out_of_pages_and_api(client, auth, api, db_session):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    db_session.execute(update(User).where(User.id == user.id).values(is_active=False))
    db_session.commit()
    assert "Keluar" not in client.get("/").get_data(as_text=True)
    assert api.get("/api/v1/me", as_=user).status_code == 401


def test_api_password_change_revokes_every_token_and_session(app, client, auth, api):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    second = api.post("/api/v1/auth/token", json={"email": user.email, "password": user.password}).json["access_token"]
    resp = api.post("/api/v1/me/password", as_=user,
                    json={"current_password": user.password, "new_password": "batik-tulis-lasem"})
    assert resp.status_code == 204
    assert api.get("/api/v1/me", as_=user).status_code == 401
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {second}"}).status_code == 401
    assert "Keluar" not in client.get("/").get_data(as_text=True)
    assert api.post("/api/v1/auth/token", json={"email": user.email, "password": user.password}).status_code == 401
    assert api.post("/api/v1/auth/token", json={"email": user.email, "password": "batik-tulis-lasem"}).status_code == 200


def test_password_change_needs_the_current_password_and_a_strong_new_one(api):
    user = api.make_user("buyer")
    wrong = api.post("/api/v1/me/password", as_=user, json={"current_password": "not-my-password", "new_password": "batik-tulis-lasem"})
    assert wrong.status_code == 422 and wrong.json["error"]["fields"] == {"current_password": ["The current password is wrong."]}
    weak = api.post("/api/v1/me/password", as_=user, json={"current_password": user.password, "new_password": "password12"})
    assert weak.status_code == 422 and "new_password" in weak.json["error"]["fields"]
    own = api.post("/api/v1/me/password", as_=user, json={"current_password": user.password, "new_password": user.email})
    assert own.json["error"]["fields"] == {"new_password": ["Do not use your name or e-mail address as the password."]}
    assert api.get("/api/v1/me", as_=user).status_code == 200  # nothing changed, nothing revoked
    assert api.post("/api/v1/me/password", json={"current_password": "x", "new_password": "y"}).status_code == 401


def test_password_change_page_shows_errors_in_indonesian(client, auth, api):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    token = auth.csrf_token("/account")
    resp = client.post("/account", data={"current_password": "salah-sekali", "new_password": "1234567890", "csrf_token": token})
    assert resp.status_code == 422
    html = resp.get_data(as_text=True)
    assert "Kata sandi ini terlalu umum atau mudah ditebak; pilih yang lain." in html
    assert "Keluar" in client.get("/").get_data(as_text=True)


def test_revoke_all_sessions_ends_sessions_and_tokens_of_that_user_only(tx):
    idle, lifetime = timedelta(hours=1), timedelta(days=1)
    alice = services.register(tx, email="alice@example.id", password=PASSWORD, name="Alice", role="buyer")
    bob = services.register(tx, email="bob@example.id", password=PASSWORD, name="Bob", role="buyer")
    alice_sid, bob_sid = services.start_session(tx, alice), services.start_session(tx, bob)
    alice_token, _ = services.issue_token(tx, alice, 1)
    bob_token, _ = services.issue_token(tx, bob, 1)
    services.revoke_all_sessions(tx, alice.id)
    assert services.user_for_session(tx, alice_sid, idle=idle, lifetime=lifetime) is None
    assert services.user_for_token(tx, alice_token) is None
    assert services.user_for_session(tx, bob_sid, idle=idle, lifetime=lifetime)[0] == bob
    assert services.user_for_token(tx, bob_token)[0] == bob
    assert tx.scalars(select(ApiToken.revoked_at).where(ApiToken.user_id == alice.id)).one() is not None


def test_create_admin_resetting_a_password_ends_the_old_sessions(tx):
    user = services.register(tx, email="sari@example.id", password=PASSWORD, name="Sari", role="buyer")
    sid = services.start_session(tx, user)
    services.create_admin(tx, email="sari@example.id", password="moderasi-aman-1")
    assert services.user_for_session(tx, sid, idle=timedelta(hours=1), lifetime=timedelta(days=1)) is None


def test_the_account_page_needs_a_login(client):
    resp = client.get("/account")
    assert resp.status_code == 302 and "/login" in resp.headers["Location"]


def test_logging_in_again_ends_the_session_the_cookie_had(app, client, auth, api):
    user = api.make_user("buyer")
    auth.login(user.email, user.password)
    before = _session_cookie(client)
    auth.login(user.email, user.password)
    assert "Keluar" in client.get("/").get_data(as_text=True)
    assert "Keluar" not in _replay(app, before).get("/").get_data(as_text=True)
