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
