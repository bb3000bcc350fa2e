"""Anonymous catalogue reads: validators and 304s, never shared when per-visitor, and a change shows at once.

``marketplace.web.pagecache`` keeps a copy of what an anonymous visitor (no cookie, no token) is shown of the
catalogue; these tests check what a visitor and a shared cache would notice: the headers, the 304s,
fresh CSRF tokens, and that the next anonymous read after any change of the catalogue shows it.
"""

from __future__ import annotations

import re
import time
from contextlib import contextmanager

import pytest
from sqlalchemy import event, update

from marketplace.listings.models import Listing, ListingImage
from marketplace.shops.models import Shop
from marketplace.catalog import changes
from tests.unit.catalog.factories import write_in_another_process

TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def catalog_changes(app):
    """The app's catalogue versions (installed on its engines by create_app)."""
    return app.extensions["catalog_changes"]


@pytest.fixture
def visitor(app):
    """A first-time visitor: sends no cookie at all (as a crawler or wrk does). On PostgreSQL, once the
    app listens for other processes' changes (its first connection raises the version once)."""
    listener = app.extensions["page_cache"].listener
    deadline = time.monotonic() + 10
    while listener is not None and listener.listening_since is None and time.monotonic() < deadline:
        time.sleep(0.02)
    return app.test_client(use_cookies=False)


@pytest.fixture
def shop(catalog):
    return catalog.shop(city="Bekasi", kelurahan="Harapan Jaya", name="Tenun Bu Ani")


@contextmanager
def statements(app):
    """The SQL statements sent while the block runs."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    engine = app.extensions["db"].engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


PAGES = ["/", "/search?q=tenun", "/api/v1/listings", "/api/v1/listings?q=tenun"]


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_catalogue_read_is_shareable_and_revalidates(visitor, catalog, shop, path):
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
    first = visitor.get(path)
    assert first.status_code == 200 and "Selendang Tenun Ikat" in first.get_data(as_text=True)
    assert first.headers["Cache-Control"] == "public, max-age=0, must-revalidate"
    assert "Cookie" in first.headers["Vary"] and not first.headers.get("Set-Cookie")
    etag, last_modified = first.headers["ETag"], first.headers["Last-Modified"]
    if path.startswith("/api/"):
        assert "Authorization" in first.headers["Vary"]

    again = visitor.get(path, headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == etag
    assert visitor.get(path, headers={"If-Modified-Since": last_modified}).status_code == 304
    assert visitor.get(path, headers={"If-None-Match": '"something-else"'}).status_code == 200


def test_a_copy_answers_without_queries(app, visitor, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
    first = visitor.get("/")
    with statements(app) as seen:
        second = visitor.get("/")
    assert second.get_data() == first.get_data() and seen == []


def test_listing_page_is_never_shared_and_every_visitor_gets_a_working_csrf_token(app, visitor, catalog, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=4)
    tokens = []
    for _ in range(2):
        resp = visitor.get(f"/listings/{listing.id}")
        assert resp.status_code == 200 and "Selendang Tenun Ikat" in resp.get_data(as_text=True)
        assert resp.headers["Cache-Control"] == "private, no-store"
        assert "ETag" not in resp.headers and "Last-Modified" not in resp.headers
        assert resp.headers.get("Set-Cookie")  # the token's session
        tokens.append(TOKEN.search(resp.get_data(as_text=True)).group(1))
    assert tokens[0] != tokens[1]
    # The second page came from the copy: its token works for the visitor it was given to.
    browser = app.test_client()
    with statements(app) as seen:
        page = browser.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert not [s for s in seen if "FROM listings" in s]
    token = TOKEN.search(page).group(1)
    added = browser.post("/cart/items", data={"listing_id": listing.id, "quantity": 1, "csrf_token": token})
    assert added.status_code == 302
    cart = browser.get("/cart").get_data(as_text=True)
    assert "Selendang Tenun Ikat" in cart


def test_a_visitor_with_a_session_cart_is_answered_afresh_and_privately(app, catalog, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=4)
    browser = app.test_client()
    token = TOKEN.search(browser.get(f"/listings/{listing.id}").get_data(as_text=True)).group(1)
    browser.post("/cart/items", data={"listing_id": listing.id, "quantity": 2, "csrf_token": token})
    home = browser.get("/")
    assert home.headers["Cache-Control"] == "private, no-store" and "ETag" not in home.headers
    assert '<span class="cart-count">2</span>' in home.get_data(as_text=True)


def test_logged_in_views_are_private_and_carry_no_validators(api, auth, client, catalog, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat")
    buyer = api.make_user("buyer")
    assert auth.login(buyer.email, buyer.password).status_code == 302
    for path in ["/", "/search?q=tenun", f"/listings/{listing.id}", "/cart"]:
        resp = client.get(path)
        assert resp.status_code == 200, path
        assert resp.headers["Cache-Control"] == "private, no-store", path
        assert "ETag" not in resp.headers and "Last-Modified" not in resp.headers, path
    resp = api.get("/api/v1/listings", as_=buyer)
    assert resp.headers["Cache-Control"] == "private, no-store" and "ETag" not in resp.headers


def test_a_utm_landing_sets_its_cookie_and_is_not_shared(visitor, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat")
    resp = visitor.get("/?utm_source=instagram&utm_medium=social&utm_campaign=launch")
    assert resp.status_code == 200 and "pk_visit=" in resp.headers.get("Set-Cookie", "")
    assert resp.headers["Cache-Control"] == "private, no-store" and "ETag" not in resp.headers


def test_language_is_part_of_the_copy(visitor, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat")
    assert "Produk kreatif dari kelurahan" in visitor.get("/").get_data(as_text=True)
    assert "Creative products from the kelurahan" in visitor.get("/en/").get_data(as_text=True)
    page = visitor.get("/", headers={"Cookie": "lang=en"}, follow_redirects=True).get_data(as_text=True)
    assert "Creative products from the kelurahan" in page


# --- a change shows on the next anonymous read ----------------------------------------------------------


def test_listing_edit_shows_on_the_next_read(visitor, catalog, db_session, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
    for path in ["/", "/search?q=tenun", "/api/v1/listings", f"/listings/{listing.id}"]:
        assert "Selendang Tenun Ikat" in visitor.get(path).get_data(as_text=True)
    listing.title = "Selendang Tenun Songket"
    db_session.commit()
    for path in ["/", "/search?q=tenun", "/api/v1/listings", f"/listings/{listing.id}"]:
        assert "Selendang Tenun Songket" in visitor.get(path).get_data(as_text=True), path


def test_stock_taken_by_a_core_update_shows_sold_out(visitor, catalog, db_session, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=1)
    assert visitor.get("/api/v1/listings").get_json()["items"][0]["sold_out"] is False
    db_session.execute(update(Listing).where(Listing.id == listing.id).values(stock=0))  # as checkout does
    db_session.commit()
    assert visitor.get("/api/v1/listings").get_json()["items"][0]["sold_out"] is True


def test_shop_rename_photo_and_suspension_show_on_the_next_read(visitor, catalog, db_session, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat")
    assert "Tenun Bu Ani" in visitor.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert visitor.get("/api/v1/listings").get_json()["items"][0]["thumb_url"] is None
    shop.name = "Tenun Ibu Ani"
    db_session.add(ListingImage(listing_id=listing.id, position=0, key="listings/new.jpg",
                                thumb_key="listings/new-thumb.jpg", content_type="image/jpeg", width=8, height=8))
    db_session.commit()
    assert "Tenun Ibu Ani" in visitor.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert visitor.get("/api/v1/listings").get_json()["items"][0]["thumb_url"].endswith("new-thumb.jpg")
    db_session.execute(update(Shop).where(Shop.id == shop.id).values(suspended_at=listing.created_at))
    db_session.commit()
    assert visitor.get("/api/v1/listings").get_json()["total"] == 0
    assert visitor.get(f"/listings/{listing.id}").status_code == 404


def test_moderation_decision_shows_on_the_next_read(visitor, market):
    seller = market.seller()
    listing = market.listing(seller, title="Tas Anyaman Pandan")
    assert visitor.get("/api/v1/listings").get_json()["total"] == 0
    assert "Tas Anyaman Pandan" not in visitor.get("/").get_data(as_text=True)
    assert market.approve(listing["id"]).status_code == 200
    assert visitor.get("/api/v1/listings").get_json()["total"] == 1
    assert "Tas Anyaman Pandan" in visitor.get("/").get_data(as_text=True)


def test_a_rolled_back_change_keeps_the_copy(app, visitor, catalog, db_session, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat")
    visitor.get("/")
    listing.title = "Never committed"
    db_session.flush()
    db_session.rollback()
    with statements(app) as seen:
        assert "Selendang Tenun Ikat" in visitor.get("/").get_data(as_text=True)
    assert seen == []


def test_another_process_change_shows_within_the_bound(app, visitor, catalog, shop, database_url, monkeypatch, catalog_changes):
    """A change committed by another process: announced by NOTIFY on PostgreSQL (at once, whatever
    PAGE_CACHE_SECONDS is), and on SQLite seen once the copy is UNNOTIFIED_SECONDS old."""
    listing = catalog.listing(shop, title="Selendang Tenun Ikat")
    cache = app.extensions["page_cache"]
    if cache.listener is not None:  # PostgreSQL: listening (the visitor fixture waited)
        assert cache.listener.listening_since is not None
    else:
        monkeypatch.setattr(changes, "UNNOTIFIED_SECONDS", 0.5)
    assert "Selendang Tenun Ikat" in visitor.get("/").get_data(as_text=True)
    before = catalog_changes.version()
    write_in_another_process(database_url, "UPDATE listings SET title = :t WHERE id = :i", t="Diubah Proses Lain",
                             i=listing.id)
    # NOTIFY arrives at once; 15 s leaves room for a listener thread starved on a loaded 2-CPU machine
    deadline = time.monotonic() + (15 if cache.listener is not None else 0.6)
    while time.monotonic() < deadline and "Diubah Proses Lain" not in visitor.get("/").get_data(as_text=True):
        time.sleep(0.05)
    assert "Diubah Proses Lain" in visitor.get("/").get_data(as_text=True)
    if cache.listener is not None:
        assert catalog_changes.version() > before  # by the notification, not by the age of the copy
