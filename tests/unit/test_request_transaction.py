"""The request owns the transaction (``marketplace.web.transaction``), whatever a page answers.

A page refuses a use case with its form again (200) or a redirect with a flash (302): statuses that would
commit. What the refused use case wrote before it refused must not be kept all the same. And a request
that waited too long for a lock on PostgreSQL is "busy, try again" (503 ``database_busy``), as SQLite's
lock is, never a 500.
"""

from __future__ import annotations

import pytest
from sqlalchemy import event, select, text

from marketplace.audit.models import AdminAction
from marketplace.errors import Conflict
from marketplace.shops.models import Shop


def _admin_page_login(auth, market) -> None:
    admin = market.admin
    assert auth.login(admin.email, admin.password).status_code == 302


def test_a_refused_page_post_answered_with_a_redirect_keeps_nothing(client, auth, market, db_session, monkeypatch):
    seller = market.seller()
    _admin_page_login(auth, market)
    token = auth.csrf_token("/admin/shops")
    actions_before = db_session.scalar(select(AdminAction.id).order_by(AdminAction.id.desc()).limit(1))

    from marketplace.shops import admin as shop_admin

    def refuse_after_writing(session, *args, **kwargs):
        session.flush()  # the shop is suspended in this transaction, its sessions revoked…
        assert session.get(Shop, seller.shop_id).suspended_at is not None
        raise Conflict("The audit trail refused it.", code="test_refusal")  # …then the use case is refused

    monkeypatch.setattr(shop_admin, "record_admin_action", refuse_after_writing)
    resp = client.post(f"/admin/shops/{seller.shop_id}/suspend",
                       data={"csrf_token": token, "reason": "Foto produk bukan buatan sendiri"})
    assert resp.status_code == 302  # a redirect, whose status alone would have committed
    page = client.get(resp.headers["Location"]).get_data(as_text=True)
    assert "The audit trail refused it." in page  # the refusal is said (untranslated test text, as is)

    db_session.rollback()
    shop = db_session.get(Shop, seller.shop_id)
    assert shop.suspended_at is None and shop.suspension_reason is None
    assert db_session.scalar(select(AdminAction.id).order_by(AdminAction.id.desc()).limit(1)) == actions_before
    # The artisan was not logged out by the refused suspension: their token still works.
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {seller.token}"}).status_code == 200


def test_a_refused_form_post_shows_the_form_and_keeps_nothing(client, auth, market, db_session, monkeypatch):
    """The edit page answers a refusal with the form and its message; the price it had changed is not kept."""
    seller = market.seller()
    listing = market.listing(seller, price_idr=150_000)
    assert auth.login(seller.email, seller.password).status_code == 302
    path = f"/seller/listings/{listing['id']}/edit"
    token = auth.csrf_token(path)

    from marketplace.listings import services as listings

    real_after_change = listings._after_change

    def change_then_refuse(session, row, changed):
        real_after_change(session, row, changed)
        raise Conflict("Changed our mind.", code="test_refusal")

    monkeypatch.setattr(listings, "_after_change", change_then_refuse)
    form = {"csrf_token": token, "title": listing["title"], "description": listing["description"],
            "price_idr": "175.000", "stock": "3", "category": "batik", "weight_grams": "400",
            "fulfilment": "ready_to_ship", "processing_days": "0"}
    resp = client.post(path, data=form)
    assert resp.status_code == 409
    db_session.rollback()
    from marketplace.listings.models import Listing

    assert db_session.get(Listing, listing["id"]).price_idr == 150_000
    assert market.types(listing["id"]) == ["listing.submitted"]


def test_a_lock_timeout_on_postgresql_answers_503_database_busy(backend, app, api, market, database_url):
    if backend != "postgresql":
        pytest.skip("PostgreSQL's lock_timeout; SQLite's lock is covered by test_app's busy tests")
    seller = market.seller()
    write_engine = app.extensions["db"].write_engine

    def short_lock_wait(conn):
        conn.exec_driver_sql("SET LOCAL lock_timeout = '200ms'")

    holder = app.extensions["db"].engine.connect()
    event.listen(write_engine, "begin", short_lock_wait)
    try:
        with holder.begin():
            holder.execute(text("SELECT id FROM shops WHERE id = :id FOR UPDATE"), {"id": seller.shop_id})
            resp = api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=market.admin,
                            json={"reason": "Foto produk bukan buatan sendiri"})
    finally:
        event.remove(write_engine, "begin", short_lock_wait)
        holder.close()
    assert resp.status_code == 503, resp.json
    assert resp.json["error"]["code"] == "database_busy" and resp.headers["Retry-After"] == "1"
    # Nothing was written; once the lock is free the same request goes through.
    resp = api.post(f"/api/v1/admin/shops/{seller.shop_id}/suspend", as_=market.admin,
                    json={"reason": "Foto produk bukan buatan sendiri"})
    assert resp.status_code == 200, resp.json


# --- a GET never writes -------------------------------------------------------------------------------

_WRITES = ("INSERT", "UPDATE", "DELETE", "REPLACE", "MERGE")
_SLOW_OR_OUTSIDE = {"/readyz"}  # asks the broker: not the database's business


def test_no_get_request_writes_anything_for_any_role(app, api, market, db_session):
    """Every GET page and API route without parameters, and the pages that used to write (a stale
    login session's activity, a landing from a post, a share kit not drawn yet), as each role: not one
    INSERT, UPDATE or DELETE on any connection while the request runs. What they note is written behind
    (:mod:`marketplace.web.activity`), and is there after a flush."""
    from datetime import timedelta

    from sqlalchemy import update
    from sqlalchemy.engine import Engine

    from marketplace.accounts.models import UserSession
    from marketplace.db import utcnow
    from marketplace.promotion.attribution.models import PromotionVisit
    from marketplace.web import activity
    from tests.conftest import PageAuth

    seller = market.seller()
    listing = market.approved_listing(seller, stock=5)
    buyer = api.make_user("buyer")
    users = {"anonymous": None, "buyer": buyer, "artisan": seller, "admin": market.admin}
    paths = sorted(r.rule for r in app.url_map.iter_rules()
                   if "GET" in r.methods and not r.arguments and r.rule not in _SLOW_OR_OUTSIDE)
    paths += [f"/listings/{listing['id']}?utm_source=instagram&utm_campaign=x",
              f"/shops/{seller.shop_id}", f"/seller/listings/{listing['id']}/share-kit",
              f"/api/v1/seller/listings/{listing['id']}/share-kit", f"/api/v1/listings/{listing['id']}"]
    writes: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(_WRITES):
            writes.append(statement.split("\n")[0][:120])

    for role, user in users.items():
        client = app.test_client()
        if user is not None:
            assert PageAuth(client).login(user.email, user.password).status_code == 302
        db_session.execute(update(UserSession).values(last_seen_at=utcnow() - timedelta(minutes=2)))
        db_session.commit()
        event.listen(Engine, "before_cursor_execute", note)
        try:
            for path in paths:
                if path.startswith("/api/") and user is not None:
                    status = api.get(path, as_=user).status_code
                else:
                    status = client.get(path).status_code
                assert status < 500, (role, path, status)
        finally:
            event.remove(Engine, "before_cursor_execute", note)
        assert writes == [], (role, writes)

    assert activity.of(app).flush() >= 1  # the sessions' activity and the landing, written behind now
    db_session.rollback()
    assert db_session.scalar(select(PromotionVisit.visits)) == len(users)  # one landing per visitor
