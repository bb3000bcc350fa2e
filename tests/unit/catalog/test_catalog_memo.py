"""The catalogue memo (``marketplace.catalog.memo``) and the listing-set version it is tagged with.

What a visitor notices: a logged-in buyer (whom the page copies never serve) sees a moderation decision,
another process's edit and a sold-out listing at once, although the home page's counts and a search's
ranking are computed once and reused; stock-only writes (checkout, restock) leave those results alone.
"""

from __future__ import annotations

import re
import threading
import time
from contextlib import contextmanager
from dataclasses import replace

import pytest
from sqlalchemy import event, text, update

from marketplace import models
from marketplace.web.app import create_app
from marketplace.catalog import changes, services
from marketplace.catalog.memo import CatalogMemo, freeze
from marketplace.db import make_engine
from marketplace.listings.models import Listing, ListingImage
from marketplace.shops.models import Shop
from tests.unit.catalog.factories import write_in_another_process

RANKING = "count(*) OVER ()"  # the word search's ranking statement
COUNTS = "per_shop"  # the home page's counts per (shop, category)


@contextmanager
def statements(app):
    """The SQL statements the app sent while the block ran."""
    seen: list[str] = []

    def note(conn, cursor, statement, *args):
        seen.append(statement)

    db = app.extensions["db"]
    engines = {db.engine, db.write_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", note)


def ran(seen: list[str], marker: str) -> int:
    return sum(marker in s for s in seen)


def wait_listening(app) -> None:
    listener = app.extensions["catalog_memo"].listener
    deadline = time.monotonic() + 10
    while listener is not None and listener.listening_since is None and time.monotonic() < deadline:
        time.sleep(0.02)


@pytest.fixture
def catalog_changes(app):
    """The app's catalogue versions (installed on its engines by create_app)."""
    return app.extensions["catalog_changes"]


@pytest.fixture
def shopper(app, api, auth, client):
    """A logged-in buyer's browser (the page copies never answer it)."""
    wait_listening(app)
    buyer = api.make_user("buyer")
    assert auth.login(buyer.email, buyer.password).status_code == 302
    return client


@pytest.fixture
def shop(catalog):
    return catalog.shop(city="Bekasi", kelurahan="Harapan Jaya", name="Tenun Bu Ani")


def versions(catalog_changes) -> tuple[int, int]:
    return catalog_changes.version(), catalog_changes.listing_set_version()


# --- which writes move which version ---------------------------------------------------------------------


def test_a_stock_only_update_moves_only_the_full_version(catalog, db_session, shop, catalog_changes):
    listing = catalog.listing(shop, stock=5)
    statements_ = [
        lambda: setattr(listing, "stock", 4),  # an ORM flush: SET stock, updated_at (onupdate)
        lambda: db_session.execute(update(Listing).where(Listing.id == listing.id).values(stock=Listing.stock - 1)),
        lambda: db_session.connection().execute(  # checkout's Core reservation, on the table
            update(Listing.__table__).where(Listing.__table__.c.id == listing.id, Listing.__table__.c.stock >= 1)
            .values(stock=Listing.__table__.c.stock - 1)),
        lambda: db_session.execute(text("UPDATE listings SET stock = stock + 1 WHERE id = :i"), {"i": listing.id}),
    ]
    for write in statements_:
        full, listing_set = versions(catalog_changes)
        write()
        db_session.commit()
        assert catalog_changes.version() > full
        assert catalog_changes.listing_set_version() == listing_set


@pytest.mark.parametrize("change", ["status", "title", "price", "photo", "shop"])
def test_a_change_of_what_is_listed_moves_both_versions(catalog, db_session, shop, change, catalog_changes):
    listing = catalog.listing(shop, stock=5)
    full, listing_set = versions(catalog_changes)
    if change == "status":  # a Core update, as moderation's decision
        db_session.execute(update(Listing).where(Listing.id == listing.id).values(status="withdrawn"))
    elif change == "title":  # an ORM flush
        listing.title = "Selendang Songket"
    elif change == "price":  # with the stock in the same statement
        db_session.execute(update(Listing).where(Listing.id == listing.id).values(stock=2, price_idr=90_000))
    elif change == "photo":
        db_session.add(ListingImage(listing_id=listing.id, position=0, key="k.jpg", thumb_key="k-t.jpg",
                                    content_type="image/jpeg", width=8, height=8))
    else:
        db_session.execute(update(Shop).where(Shop.id == shop.id).values(name="Tenun Ibu Ani"))
    db_session.commit()
    assert catalog_changes.version() > full and catalog_changes.listing_set_version() > listing_set


def test_what_a_checkout_writes_is_a_stock_only_change():
    """Its statements, as PostgreSQL receives them: the cart taken (a WITH … DELETE of cart rows reading
    listings) writes no catalogue table; the reservation writes stock only; a WITH that writes listings
    is a full change."""
    from sqlalchemy.dialects import postgresql

    from marketplace.cart.services import _take_statement
    from marketplace.orders.reservation import _reserve_all_statement

    dialect = postgresql.dialect()
    assert changes.classify(str(_take_statement(False).compile(dialect=dialect))) is None
    assert changes.classify(str(_take_statement(True).compile(dialect=dialect))) is None  # (the voucher joined)
    # The reservation updates listings and variants in one WITH: read as a full change by its text, it
    # runs inside ``changes.stock_only`` (next test).
    assert changes.classify(str(_reserve_all_statement().compile(dialect=dialect))) == changes.FULL
    assert changes.classify("WITH t AS (UPDATE listings SET title = 'x' RETURNING id) SELECT * FROM t") == changes.FULL
    assert changes.classify('WITH t AS (DELETE FROM "public"."shops" RETURNING id) SELECT 1') == changes.FULL
    assert changes.classify("WITH t AS (SELECT id FROM listings FOR UPDATE OF listings) "
                            "DELETE FROM cart_items WHERE listing_id IN (SELECT id FROM t)") is None


def test_a_statement_run_as_stock_only_moves_only_the_full_version_unless_the_transaction_wrote_more(
        catalog, db_session, shop, catalog_changes):
    listing = catalog.listing(shop, stock=5)
    full, listing_set = versions(catalog_changes)
    conn = db_session.connection()
    with changes.stock_only(conn):  # text that classify() reads as a full change
        conn.execute(text("UPDATE listings SET stock = stock - 1, title = title WHERE id = :i"), {"i": listing.id})
    db_session.commit()
    assert catalog_changes.version() > full and catalog_changes.listing_set_version() == listing_set

    full, listing_set = versions(catalog_changes)
    db_session.execute(update(Listing).where(Listing.id == listing.id).values(title="Selendang"))
    conn = db_session.connection()
    with changes.stock_only(conn):
        conn.execute(text("UPDATE listings SET stock = stock - 1 WHERE id = :i"), {"i": listing.id})
    db_session.commit()
    assert catalog_changes.listing_set_version() > listing_set  # the title's change stays a full one


@pytest.mark.parametrize("sql", [
    "UPDATE listings SET stock = 0, title = title WHERE id = :i",
    "UPDATE listings SET (stock, title) = (0, title) WHERE id = :i",
    "WITH chosen AS (SELECT :i AS id) UPDATE listings SET stock = 0 WHERE id IN (SELECT id FROM chosen)",
    "UPDATE listings SET stock = 0 WHERE id = :i; UPDATE listings SET title = 'x' WHERE id = :i",
    "UPDATE listings SET updated_at = updated_at WHERE id = :i",
])
def test_raw_sql_that_is_not_plainly_stock_only_is_a_full_change(catalog, db_session, shop, sql, database_url, catalog_changes):
    listing = catalog.listing(shop, stock=5)
    if ";" in sql:
        assert changes.classify(sql) == changes.FULL  # the drivers run one statement at a time
        return
    full, listing_set = versions(catalog_changes)
    db_session.execute(text(sql), {"i": listing.id})
    db_session.commit()
    assert catalog_changes.version() > full and catalog_changes.listing_set_version() > listing_set


def test_a_rolled_back_write_moves_nothing(catalog, db_session, shop, catalog_changes):
    listing = catalog.listing(shop)
    before = versions(catalog_changes)
    listing.title = "Never committed"
    db_session.flush()
    db_session.rollback()
    assert versions(catalog_changes) == before


# --- what a logged-in visitor sees ------------------------------------------------------------------------


def test_the_memo_serves_a_logged_in_visitor_the_counts_and_the_ranking(app, shopper, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
    shopper.get("/")
    shopper.get("/search?q=tenun")
    with statements(app) as seen:
        home = shopper.get("/").get_data(as_text=True)
        found = shopper.get("/search?q=tenun").get_data(as_text=True)
    assert "Selendang Tenun Ikat" in home and "Selendang Tenun Ikat" in found
    assert "Harapan Jaya" in home  # the browse-by-kelurahan list
    assert ran(seen, COUNTS) == 0 and ran(seen, RANKING) == 0
    assert any("FROM listings" in s for s in seen)  # the listings themselves: read afresh


def test_a_logged_in_visitor_sees_an_approval_and_a_take_down_at_once(app, shopper, market, api):
    seller = market.seller()
    listing = market.listing(seller, title="Tas Anyaman Pandan", category="anyaman")
    for path in ["/", "/search?q=anyaman", "/search?category=anyaman"]:
        assert "Tas Anyaman Pandan" not in shopper.get(path).get_data(as_text=True), path
    market.approve(listing["id"])
    for path in ["/", "/search?q=anyaman", "/search?category=anyaman"]:
        assert "Tas Anyaman Pandan" in shopper.get(path).get_data(as_text=True), path
    resp = api.post(f"/api/v1/admin/listings/{listing['id']}/take-down", as_=market.admin,
                    json={"revision": market.revision(listing["id"]), "reason": "Foto milik orang lain"})
    assert resp.status_code == 200, resp.json
    for path in ["/", "/search?q=anyaman", "/search?category=anyaman"]:
        assert "Tas Anyaman Pandan" not in shopper.get(path).get_data(as_text=True), path
    assert api.get("/api/v1/listings?q=anyaman", as_=api.make_user("buyer")).get_json()["total"] == 0


def test_sold_out_shows_on_a_memoised_search_page_at_once(app, shopper, catalog, db_session, shop, catalog_changes):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=1)
    page = shopper.get("/search?q=tenun").get_data(as_text=True)
    assert "Selendang Tenun Ikat" in page and "badge-sold-out" not in page
    set_version = catalog_changes.listing_set_version()
    db_session.execute(update(Listing).where(Listing.id == listing.id).values(stock=0))  # as checkout does
    db_session.commit()
    assert catalog_changes.listing_set_version() == set_version
    with statements(app) as seen:
        page = shopper.get("/search?q=tenun").get_data(as_text=True)
    assert "Selendang Tenun Ikat" in page and "badge-sold-out" in page
    assert ran(seen, RANKING) == 0  # the ranking was kept; the row was read afresh


def test_an_in_stock_search_is_dropped_by_a_stock_change(app, shopper, catalog, db_session, shop):
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=1)
    assert "Selendang Tenun Ikat" in shopper.get("/search?q=tenun&available=true").get_data(as_text=True)
    db_session.execute(update(Listing).where(Listing.id == listing.id).values(stock=0))
    db_session.commit()
    page = shopper.get("/search?q=tenun&available=true").get_data(as_text=True)
    assert "Selendang Tenun Ikat" not in page
    assert "Selendang Tenun Ikat" in shopper.get("/search?q=tenun").get_data(as_text=True)


def test_results_never_leak_between_queries(shopper, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun", price_idr=300_000)
    catalog.listing(shop, title="Kain Batik Tulis", category="batik", price_idr=100_000)
    tenun = shopper.get("/search?q=tenun").get_data(as_text=True)
    batik = shopper.get("/search?q=batik").get_data(as_text=True)
    cheap = shopper.get("/search?max_price=200000").get_data(as_text=True)
    assert "Selendang Tenun Ikat" in tenun and "Kain Batik Tulis" not in tenun
    assert "Kain Batik Tulis" in batik and "Selendang Tenun Ikat" not in batik
    assert "Kain Batik Tulis" in cheap and "Selendang Tenun Ikat" not in cheap
    page_two = shopper.get("/search?q=tenun&page=2").get_data(as_text=True)
    assert "Selendang Tenun Ikat" not in page_two


def test_the_api_with_a_token_uses_the_memo_too(app, api, catalog, shop):
    wait_listening(app)
    buyer = api.make_user("buyer")
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", stock=2)
    assert api.get("/api/v1/listings?q=tenun", as_=buyer).get_json()["total"] == 1
    with statements(app) as seen:
        body = api.get("/api/v1/listings?q=tenun", as_=buyer).get_json()
    assert body["total"] == 1 and body["items"][0]["id"] == listing.id and ran(seen, RANKING) == 0


def test_a_session_with_uncommitted_writes_neither_reads_nor_fills_the_memo(app, catalog, shop):
    catalog.listing(shop, title="Selendang Tenun Ikat")
    memo = app.extensions["catalog_memo"]
    with app.app_context():
        writer = app.extensions["db"].new_session()
        reader = app.extensions["db"].new_session()
        try:
            params = services.SearchParams(q="tenun")
            assert services.search(reader, params, memo=memo).total == 1  # memoised
            reader.rollback()
            writer.add(Listing(shop_id=shop.id, title="Tenun Baru", description="x", category="tenun",
                               price_idr=1000, stock=1, weight_grams=1, status="approved"))
            writer.flush()
            assert services.search(writer, params, memo=memo).total == 2  # its own, uncommitted row
            assert services.search(reader, params, memo=memo).total == 1  # not what it saw
            writer.rollback()
        finally:
            writer.close()
            reader.close()


def test_a_result_read_from_an_older_snapshot_is_not_kept_as_current(app, catalog, db_session, shop):
    """A transaction that began before a commit (SQLite reads one snapshot for all of it) computes
    without the change: that result must not be what the next reader is given."""
    catalog.listing(shop, title="Selendang Tenun Ikat")
    memo = app.extensions["catalog_memo"]
    params = services.SearchParams(q="tenun")
    with app.app_context():
        old = app.extensions["db"].new_session()
        fresh = app.extensions["db"].new_session()
        try:
            old.execute(text("SELECT count(*) FROM listings")).scalar()  # its snapshot starts here
            catalog.listing(shop, title="Tenun Songket Baru")  # committed by another session
            services.search(old, params, memo=memo)  # 1 on SQLite (its snapshot), 2 on PostgreSQL
            assert services.search(fresh, params, memo=memo).total == 2
        finally:
            old.close()
            fresh.close()


def test_memo_off_with_zero_seconds(settings, database_url, api, catalog, shop):
    app = create_app(replace(settings, catalog_cache_seconds=0))
    try:
        catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
        assert not app.extensions["catalog_memo"].enabled
        browser = app.test_client()
        from tests.conftest import PageAuth

        buyer = api.make_user("buyer")
        assert PageAuth(browser).login(buyer.email, buyer.password).status_code == 302
        with statements(app) as seen:
            for _ in range(2):
                assert "Selendang Tenun Ikat" in browser.get("/").get_data(as_text=True)
                assert "Selendang Tenun Ikat" in browser.get("/search?q=tenun").get_data(as_text=True)
        assert ran(seen, COUNTS) == 2 and ran(seen, RANKING) == 2
        assert len(app.extensions["catalog_memo"]) == 0
    finally:
        app.extensions["db"].dispose()


def test_another_process_change_reaches_a_logged_in_visitor(app, shopper, catalog, shop, database_url, monkeypatch, catalog_changes):
    """On PostgreSQL by NOTIFY (a stock-only change raises the full version only); on SQLite the memo
    keeps a result at most UNNOTIFIED_SECONDS."""
    listing = catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun", stock=3)
    listener = app.extensions["catalog_memo"].listener
    if listener is None:
        monkeypatch.setattr(changes, "UNNOTIFIED_SECONDS", 0.5)
    else:
        assert listener.listening_since is not None
    assert "Selendang Tenun Ikat" in shopper.get("/search?q=tenun").get_data(as_text=True)
    def other_process(sql: str) -> None:
        write_in_another_process(database_url, sql, i=listing.id)

    def until(predicate, seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline and not predicate():
            time.sleep(0.05)
        return predicate()

    if listener is not None:
        full, listing_set = versions(catalog_changes)
        other_process("UPDATE listings SET stock = stock - 1 WHERE id = :i")
        assert until(lambda: catalog_changes.version() > full, 5)
        assert catalog_changes.listing_set_version() == listing_set
    other_process("UPDATE listings SET title = 'Tenun Diubah Proses Lain' WHERE id = :i")
    assert until(lambda: "Tenun Diubah Proses Lain" in shopper.get("/search?q=tenun").get_data(as_text=True),
                 5 if listener is not None else 0.8)
    assert "Tenun Diubah Proses Lain" in shopper.get("/").get_data(as_text=True)


# --- the memo itself -------------------------------------------------------------------------------------


def test_concurrent_misses_compute_once(app):
    wait_listening(app)  # the listener's first connection raises the versions once
    memo = CatalogMemo(30, 16, app.extensions["catalog_changes"])
    calls: list[int] = []
    results: list[object] = []
    start = threading.Barrier(8)

    def compute():
        calls.append(1)
        time.sleep(0.3)
        return {"ids": [1, 2, 3], "total": 3}

    def visitor():
        session = app.extensions["db"].new_session()
        try:
            start.wait()
            results.append(memo.fetch(session, ("search", "batik"), compute))
        finally:
            session.close()

    threads = [threading.Thread(target=visitor) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert len(results) == 8 and all(r == {"ids": (1, 2, 3), "total": 3} for r in results)


def test_a_failed_computation_is_not_kept(app):
    memo = CatalogMemo(30, 16, app.extensions["catalog_changes"])
    session = app.extensions["db"].new_session()
    try:
        with pytest.raises(RuntimeError):
            memo.fetch(session, ("k",), lambda: (_ for _ in ()).throw(RuntimeError("database down")))
        assert memo.fetch(session, ("k",), lambda: 7) == 7
    finally:
        session.close()


def test_the_memo_keeps_plain_data_only(catalog, shop):
    listing = catalog.listing(shop)
    with pytest.raises(TypeError):
        freeze({"items": [listing]})
    frozen = freeze({"places": {"Bekasi": [{"count": 2, "sentra": {"A"}}]}})
    with pytest.raises(TypeError):
        frozen["places"]["Bekasi"][0]["count"] = 3  # type: ignore[index]


def test_values_never_leak_between_databases(app, database_url, tmp_path, request):
    """Two databases (two schemas on PostgreSQL) in one process, one memo: each keeps its own values."""
    from sqlalchemy.orm import Session

    from tests.conftest import fresh_pg_schema

    memo = CatalogMemo(30, 16, app.extensions["catalog_changes"])
    if database_url.startswith("sqlite"):
        other_cm = None
        other_url = f"sqlite:///{tmp_path / 'other.db'}"
    else:
        other_cm = fresh_pg_schema(request.config._pk_pg_url)  # type: ignore[attr-defined]
        other_url = other_cm.__enter__()
    other_engine = make_engine(other_url)
    try:
        models.create_all(other_engine)
        ours = app.extensions["db"].new_session()
        theirs = Session(other_engine)
        try:
            assert memo.fetch(ours, ("browse_counts",), lambda: "ours") == "ours"
            assert memo.fetch(theirs, ("browse_counts",), lambda: "theirs") == "theirs"
            assert memo.fetch(ours, ("browse_counts",), lambda: "again") == "ours"
        finally:
            ours.close()
            theirs.close()
    finally:
        other_engine.dispose()
        if other_cm is not None:
            other_cm.__exit__(None, None, None)


def _without_csrf(page: str) -> str:
    """The page with its forms' CSRF tokens blanked: a token is signed with the current second, so two
    renderings of one page differ there when a second ticks between them."""
    return re.sub(r'name="csrf_token" value="[^"]*"', 'name="csrf_token" value=""', page)


def test_the_home_browse_lists_are_kept_per_language_and_follow_the_catalogue(app, shopper, catalog, shop):
    """The rendered browse lists are kept in the memo (per language): a logged-in visitor switching
    language gets that language's list, and a new listing moves its kelurahan's and category's count."""
    catalog.listing(shop, title="Selendang Tenun Ikat", category="tenun")
    english = shopper.get("/en/").get_data(as_text=True)
    indonesian = shopper.get("/?lang=id").get_data(as_text=True)
    assert "Woven cloth (tenun)" in english and "Woven cloth (tenun)" not in indonesian
    assert "Harapan Jaya</a>\n          <span class=\"muted\">(1)</span>" in indonesian
    with statements(app) as seen:
        assert _without_csrf(shopper.get("/en/").get_data(as_text=True)) == _without_csrf(english)
    assert ran(seen, COUNTS) == 0
    catalog.listing(shop, title="Sarung Tenun Bu Ani", category="tenun")
    again = shopper.get("/?lang=id").get_data(as_text=True)
    assert "Harapan Jaya</a>\n          <span class=\"muted\">(2)</span>" in again
