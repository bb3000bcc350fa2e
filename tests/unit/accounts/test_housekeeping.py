"""The scheduler deletes sessions and API tokens a month after they ended, and never a live one."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select, update

from marketplace.accounts.models import ApiToken, UserSession
from marketplace.db import utcnow
from marketplace.orders import scheduler
from tests.conftest import PageAuth


def _login(app, user) -> None:
    PageAuth(app.test_client()).login(user.email, user.password)


def test_ended_logins_are_purged_a_month_later_and_live_ones_stay(app, api, db_session, settings):
    factory = app.extensions["db"].write_session_factory
    stays, leaves = api.make_user("buyer"), api.make_user("buyer")
    _login(app, stays)
    _login(app, leaves)
    now = utcnow()
    with factory.begin() as s:  # ``leaves`` logged out 31 days ago; its token was revoked then too
        s.execute(update(UserSession).where(UserSession.user_id == leaves.id).values(revoked_at=now - timedelta(days=31)))
        s.execute(update(ApiToken).where(ApiToken.user_id == leaves.id).values(revoked_at=now - timedelta(days=31)))

    assert scheduler.tick(factory, settings, now=now).purged >= 1
    db_session.rollback()  # a fresh read, not the snapshot of the previous one
    left = {row.user_id for row in db_session.scalars(select(UserSession))}
    assert stays.id in left and leaves.id not in left
    assert not db_session.scalars(select(ApiToken).where(ApiToken.user_id == leaves.id)).all()
    assert api.get("/api/v1/me", as_=stays).status_code == 200  # the live token still opens the API
    assert scheduler.tick(factory, settings, now=now).purged == 0  # nothing left to purge


def test_a_session_idle_past_its_limit_goes_a_month_after_it_lapsed(app, api, db_session, settings):
    factory = app.extensions["db"].write_session_factory
    user = api.make_user("buyer")
    _login(app, user)
    idle = timedelta(hours=settings.session_idle_hours)
    now = utcnow()
    scheduler.tick(factory, settings, now=now + idle + timedelta(days=29))  # lapsed 29 days ago: kept
    db_session.rollback()  # a fresh read, not the snapshot of the previous one
    assert db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
    scheduler.tick(factory, settings, now=now + idle + timedelta(days=31))
    db_session.rollback()  # a fresh read, not the snapshot of the previous one
    assert not db_session.scalars(select(UserSession).where(UserSession.user_id == user.id)).all()
