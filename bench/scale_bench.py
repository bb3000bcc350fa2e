"""Storefront at scale: N approved listings (default 100,000), search, listing pages and home under gunicorn.

Not a test: run it by hand and record the results in bench/README.md (issue #15's scale target: p99 ≤ 150 ms
for each page at 100,000 approved listings, 16 connections).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/scale_bench.py
    ... bench/scale_bench.py --n 20000 --duration 5 --explain    # smaller, and print each page's query plans

PostgreSQL only (``bench_database``: a schema of its own, dropped afterwards): the scale question is
production's database. Seeding uses bulk inserts (executemany through psycopg's pipelined
``insertmanyvalues``), then ``VACUUM ANALYZE`` so the planner has statistics and the visibility map is
set, as autovacuum would have left a live database. Then, through gunicorn (the harness's
``serve``, the worker settings production reads) at 16 connections, one run each of:

- ``/search?q=…`` with the words picked at random among ``SEARCHES`` per request;
- ``/listings/<id>`` for random approved listings;
- ``/`` (the home page: newest listings and the browse-by-place/category counts);
- the bare Flask baseline (``bench/bare_app.py``), for the ratios.

Each page is run in up to four modes (``--modes``, all by default):

- ``anonymous``: no cookie (whole-page copies, ``marketplace.web.pagecache``, serve nearly every request);
- ``logged-in``: a buyer logged in once through the login form, its session cookie sent with every
  request: never served from a page copy (the header shows their name and cart), rendered from the
  catalogue memo (``marketplace.catalog.memo``) and fresh listing rows;
- ``no-copy``: anonymous with ``PAGE_CACHE_SECONDS=0`` (every request rendered, the memo on): what the
  first reader after a change gets;
- ``no-memo``: anonymous with ``PAGE_CACHE_SECONDS=0 CATALOG_CACHE_SECONDS=0``: every query every time
  (the figures before the memo).

``--writer`` runs a writer thread in this process during every mode's load: every second it edits the
title of a random approved listing or approves a pending one (alternately: both move the listing-set
version, so both caches of every web process are dropped, through ``NOTIFY``), and ``--stock-writes``
times a second takes one off a random listing's stock and puts it back, as checkout and a cancellation
do (moves only the full version: the page copies are dropped, the memo is kept).

``--explain`` runs every page once in-process first, captures the SQL it sends (SQLAlchemy's
``before_cursor_execute``) and prints ``EXPLAIN (ANALYZE, BUFFERS)`` of each statement: where the time
of a page goes at this size. It runs with both caches off, so what it shows is a memo miss.
"""

from __future__ import annotations

import argparse
import http.client
import os
import random
import re
import sys
import tempfile
import threading
import time
from contextlib import nullcontext
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event, insert, text, update  # noqa: E402

from bench.harness import TABLE_HEADER, Req, bench_database, free_port, load, serve, write_results  # noqa: E402
from bench.search_bench import MATERIALS, MOTIFS, NOUNS, WORDS  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.catalog.changes import CatalogChanges  # noqa: E402
from marketplace.db import make_engine  # noqa: E402
from marketplace.listings.models import CATEGORIES, Listing, ListingImage  # noqa: E402
from marketplace.shops import places  # noqa: E402
from marketplace.shops.models import Shop  # noqa: E402
from marketplace.sentra.models import Sentra  # noqa: E402

#: What shoppers type: common words (thousands of matches), rare pairs, bilingual synonyms, no match.
SEARCHES = ["batik", "tas anyaman", "kawung indigo", "keramik", "tenun ikat", "ceramic vase", "kain batik tulis",
            "selendang sutra", "zzzz"]
CHUNK = 5000
BUYER_EMAIL = "pembeli@bench.id"
BUYER_PASSWORD = "correct horse battery"
MODES = ("anonymous", "logged-in", "no-copy", "no-memo")
#: Settings of each mode's server on top of the common ones.
MODE_ENV = {"anonymous": {}, "logged-in": {}, "no-copy": {"PAGE_CACHE_SECONDS": "0"},
            "no-memo": {"PAGE_CACHE_SECONDS": "0", "CATALOG_CACHE_SECONDS": "0"}}


def seed(url: str, n: int, shops: int, seed: int = 11) -> list[int]:
    """``n`` approved listings (plus ~5 % in other statuses) over ``shops`` shops; returns approved ids."""
    rng = random.Random(seed)
    kelurahan = [(c, k) for c in places.CITIES for k in places.kelurahan_of(c)]
    base = datetime(2024, 1, 1, tzinfo=timezone.utc)
    engine = make_engine(url)
    approved: list[int] = []
    with engine.begin() as conn:
        conn.execute(insert(User), [
            {"id": i + 1, "email": f"a{i}@bench.id", "name": f"Perajin {i}", "password_hash": "x", "role": "artisan",
             "is_active": True, "created_at": base} for i in range(shops)])
        # one sentra per kelurahan; about half the shops belong to their kelurahan's
        centres = {place: n + 1 for n, place in enumerate(kelurahan)}
        conn.execute(insert(Sentra), [
            {"id": centres[(city, kel)], "name": f"Sentra {kel}", "slug": f"sentra-{centres[(city, kel)]}",
             "city": city, "kelurahan": kel, "focus": "batik", "story": "", "created_at": base, "updated_at": base}
            for city, kel in kelurahan])
        rows = []
        for i in range(shops):
            city, kel = rng.choice(kelurahan)
            rows.append({"id": i + 1, "owner_id": i + 1, "name": f"Toko {kel} {i}", "slug": f"toko-{i}",
                         "description": "Perajin lokal", "city": city, "kelurahan": kel,
                         "sentra_id": centres[(city, kel)] if rng.random() < 0.5 else None, "created_at": base})
        conn.execute(insert(Shop), rows)
        total = n + n // 20
        listing_id = image_id = 0
        while listing_id < total:
            listings, images = [], []
            for _ in range(min(CHUNK, total - listing_id)):
                listing_id += 1
                status = "approved" if len(approved) < n and rng.random() < 0.95 else None
                if status is None:
                    status = "approved" if listing_id > total - (n - len(approved)) else rng.choice(
                        ["pending_review", "rejected", "draft", "withdrawn"])
                if status == "approved":
                    approved.append(listing_id)
                title = f"{rng.choice(NOUNS)} {rng.choice(MATERIALS)} Motif {rng.choice(MOTIFS)}"
                created = base + timedelta(minutes=5 * listing_id)
                listings.append({
                    "id": listing_id, "shop_id": rng.randint(1, shops), "title": title,
                    "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 60))),
                    "category": rng.choice(CATEGORIES), "price_idr": rng.randrange(20_000, 2_000_000, 500),
                    "stock": rng.choice([0, 1, 3, 10]), "weight_grams": rng.randrange(100, 3000, 50),
                    "fulfilment": "ready_to_ship", "processing_days": 0, "status": status, "revision": 1,
                    "created_at": created, "updated_at": created,
                    "approved_at": created if status == "approved" else None})
                for pos in range(rng.randint(1, 3)):
                    image_id += 1
                    images.append({"id": image_id, "listing_id": listing_id, "position": pos,
                                   "key": f"listings/{listing_id}/{pos}.jpg",
                                   "thumb_key": f"listings/{listing_id}/{pos}-thumb.jpg",
                                   "content_type": "image/jpeg", "width": 1200, "height": 900, "created_at": created})
            conn.execute(insert(Listing), listings)
            conn.execute(insert(ListingImage), images)
        for table in ("users", "shops", "listings", "listing_images"):
            conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT max(id) FROM {table}))"))
    from marketplace.accounts.services import register
    from marketplace.db import Database

    with Database(url) as db, db.transaction() as session:  # a buyer to log in as (a real password hash)
        register(session, email=BUYER_EMAIL, password=BUYER_PASSWORD, name="Pembeli Bench", role="buyer")
    with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        # Only this schema's tables: a database-wide VACUUM would wait on other schemas on a shared server.
        conn.execute(text("VACUUM ANALYZE users, shops, listings, listing_images"))
        pages, visible = conn.execute(text(
            "SELECT relpages, relallvisible FROM pg_class WHERE oid = 'listings'::regclass")).one()
    # Index-only scans (the home page's counts) need the visibility map; another session's open
    # transaction on this server holds VACUUM back from setting it (the machine is shared).
    print(f"listings: {pages} pages, {visible} all-visible after VACUUM")
    engine.dispose()
    return approved


def explain_pages(url: str, paths: list[str]) -> dict[str, list[dict[str, Any]]]:
    """Each page fetched once in-process; ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement it sent."""
    from marketplace.web.app import create_app
    from marketplace.config import Settings

    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.from_env({"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "VAR_DIR": tmp,
                                      "RATELIMIT_STORAGE_URI": "memory://", "SESSION_COOKIE_SECURE": "0",
                                      "PAGE_CACHE_SECONDS": "0", "CATALOG_CACHE_SECONDS": "0"})
        app = create_app(settings)
        client = app.test_client()
        captured: list[tuple[str, Any]] = []

        def capture(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
            if statement.lstrip().upper().startswith("SELECT"):
                captured.append((statement, parameters))

        engine = make_engine(url)
        report: dict[str, list[dict[str, Any]]] = {}
        for path in paths:
            client.get(path)  # warm caches and imports
            captured.clear()
            db_engines = _app_engines(app)
            for eng in db_engines:
                event.listen(eng, "before_cursor_execute", capture)
            t0 = time.perf_counter()
            resp = client.get(path)
            wall_ms = (time.perf_counter() - t0) * 1000
            for eng in db_engines:
                event.remove(eng, "before_cursor_execute", capture)
            entries = []
            with engine.connect() as conn:
                raw = conn.connection.driver_connection
                for statement, parameters in captured:
                    cur = raw.cursor()
                    cur.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, parameters)
                    plan = [r[0] for r in cur.fetchall()]
                    ms = next((float(line.split(":")[1].split()[0]) for line in plan if "Execution Time" in line), 0)
                    entries.append({"sql": " ".join(statement.split())[:300], "ms": ms, "plan": plan})
                raw.rollback()
            report[path] = entries
            print(f"\n### {path} → {resp.status_code} in {wall_ms:.1f} ms in-process, {len(entries)} SELECTs, "
                  f"{sum(e['ms'] for e in entries):.1f} ms in the database (EXPLAIN ANALYZE)")
            for e in sorted(entries, key=lambda e: -e["ms"])[:6]:
                print(f"- {e['ms']:.2f} ms  {e['sql'][:160]}")
                for line in e["plan"][:12]:
                    print("      " + line)
        engine.dispose()
    return report


def log_in(port: int, email: str = BUYER_EMAIL, password: str = BUYER_PASSWORD) -> str:
    """Log in through the login form (its CSRF token and session cookie); the ``Cookie`` header value
    of the logged-in session."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/login")
    resp = conn.getresponse()
    page = resp.read().decode()
    cookie = _cookie(resp)
    token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    assert token, "no CSRF token on /login"
    from urllib.parse import urlencode

    body = urlencode({"email": email, "password": password, "csrf_token": token.group(1)})
    conn.request("POST", "/login", body=body, headers={"Cookie": cookie,
                                                      "Content-Type": "application/x-www-form-urlencoded"})
    resp = conn.getresponse()
    resp.read()
    if resp.status != 302:
        raise SystemExit(f"bench buyer login failed: {resp.status}")
    cookie = _cookie(resp)
    conn.request("GET", "/", headers={"Cookie": cookie})
    resp = conn.getresponse()
    home = resp.read().decode()
    conn.close()
    if "Pembeli Bench" not in home:
        raise SystemExit("bench buyer is not logged in on the home page")
    return cookie


def _cookie(resp: http.client.HTTPResponse) -> str:
    return "; ".join(h.split(";", 1)[0] for h in resp.headers.get_all("Set-Cookie") or [])


class Writer:
    """A catalogue writer in this process during the load (``--writer``): every second a full change
    (a title edit or an approval, alternately) and ``stock_per_second`` stock-only changes."""

    def __init__(self, url: str, approved: list[int], pending: list[int], stock_per_second: int):
        self.engine = make_engine(url)
        CatalogChanges().install(self.engine)  # announce its writes to the web processes, as a worker does
        self.approved, self.pending = approved, list(pending)
        self.stock_per_second = stock_per_second
        self.stop = threading.Event()
        self.counts = {"edits": 0, "approvals": 0, "stock": 0}
        self.thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> "Writer":
        self.thread.start()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop.set()
        self.thread.join()
        self.engine.dispose()

    def _run(self) -> None:
        rng = random.Random(5)
        listings = Listing.__table__.c
        n = 0
        while not self.stop.is_set():
            started = time.monotonic()
            with self.engine.begin() as conn:
                if n % 2 == 0 or not self.pending:
                    conn.execute(update(Listing).where(listings.id == rng.choice(self.approved))
                                 .values(title=f"{rng.choice(NOUNS)} {rng.choice(MATERIALS)} Motif {rng.choice(MOTIFS)}"))
                    self.counts["edits"] += 1
                else:
                    listing_id = self.pending.pop()
                    conn.execute(update(Listing).where(listings.id == listing_id)
                                 .values(status="approved", approved_at=datetime.now(timezone.utc)))
                    self.counts["approvals"] += 1
            n += 1
            for i in range(self.stock_per_second):
                if self.stop.wait(max(0.0, started + (i + 1) / (self.stock_per_second + 1) - time.monotonic())):
                    return
                listing_id = rng.choice(self.approved)
                with self.engine.begin() as conn:  # as checkout's reservation, then a cancellation's restock
                    conn.execute(update(Listing).where(listings.id == listing_id).values(stock=listings.stock + 1))
                with self.engine.begin() as conn:
                    conn.execute(update(Listing).where(listings.id == listing_id, listings.stock > 0)
                                 .values(stock=listings.stock - 1))
                self.counts["stock"] += 2
            self.stop.wait(max(0.0, started + 1 - time.monotonic()))


def _app_engines(app: Any) -> list[Any]:
    db = app.extensions["db"]
    return list({db.engine, db.write_engine})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=100_000, help="approved listings")
    parser.add_argument("--shops", type=int, default=0, help="shops (default: n / 40)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--duration", type=float, default=10, help="seconds of load per page")
    parser.add_argument("--explain", action="store_true", help="print EXPLAIN ANALYZE of each page's queries")
    parser.add_argument("--modes", default=",".join(MODES), help=f"comma-separated, of {', '.join(MODES)}")
    parser.add_argument("--pages", default="search,listing,home", help="comma-separated, of search, listing, home")
    parser.add_argument("--writer", action="store_true", help="edit/approve a listing every second during the load")
    parser.add_argument("--stock-writes", type=int, default=5,
                        help="with --writer: stock-only changes (pairs) per second")
    args = parser.parse_args()
    if not os.environ.get("TEST_DATABASE_URL", "").strip():
        print("scale benchmark: skipped, it runs on PostgreSQL only (set TEST_DATABASE_URL)")
        return
    modes = [m for m in args.modes.split(",") if m]
    unknown = set(modes) - set(MODES)
    if unknown:
        raise SystemExit(f"unknown modes: {', '.join(sorted(unknown))}")
    shops = args.shops or max(1, args.n // 40)
    with bench_database("postgresql") as url, tempfile.TemporaryDirectory() as tmp:
        started = time.perf_counter()
        approved = seed(url, args.n, shops)
        seeded = time.perf_counter() - started
        print(f"seeded {len(approved)} approved listings ({args.n // 20} others) in {shops} shops in {seeded:.1f}s")
        rng = random.Random(3)
        sample = rng.sample(approved, min(500, len(approved)))
        pages = {
            "search": [Req("GET", "/search?q=" + q.replace(" ", "+")) for q in SEARCHES],
            "listing": [Req("GET", f"/listings/{i}") for i in sample],
            "home": [Req("GET", "/")],
        }
        pages = {name: reqs for name, reqs in pages.items() if name in args.pages.split(",")}
        if args.explain:
            explain_pages(url, [pages["search"][0].path, pages["search"][1].path, pages["listing"][0].path, "/"]
                          if len(pages) == 3 else [reqs[0].path for reqs in pages.values()])
        pending: list[int] = []
        if args.writer:
            engine = make_engine(url)
            with engine.connect() as conn:
                pending = list(conn.scalars(text("SELECT id FROM listings WHERE status = 'pending_review' ORDER BY id")))
            engine.dispose()
        port = free_port()
        env = {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "VAR_DIR": tmp, "SESSION_COOKIE_SECURE": "0",
               "RATELIMIT_STORAGE_URI": "memory://", "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}"}
        figures: dict[str, Any] = {"approved_listings": len(approved), "shops": shops, "seed_seconds": seeded,
                                   "connections": args.connections, "writer": args.writer,
                                   "stock_writes": args.stock_writes if args.writer else 0, "modes": {}}
        with serve("bench.bare_app:app", env=env) as (bare_port, _):
            bare = load(bare_port, [Req("GET", "/ok")], connections=args.connections, duration=args.duration)
        figures["bare"] = bare.as_dict()
        rows = [bare.row("bare Flask (baseline)", bare.rps)]
        for mode in modes:
            with serve("marketplace.web.wsgi:app", port=port, env={**env, **MODE_ENV[mode]}) as _:
                headers = {"Cookie": log_in(port)} if mode == "logged-in" else {}
                loadavg = {}
                for name, reqs in pages.items():
                    reqs = [Req(r.method, r.path, headers={**r.headers, **headers}, body=r.body) for r in reqs]
                    writer = Writer(url, approved, pending, args.stock_writes) if args.writer else None
                    with writer or nullcontext():
                        result = load(port, reqs, connections=args.connections, duration=args.duration)
                    if writer is not None:
                        pending = writer.pending
                    loadavg[name] = os.getloadavg()[0]
                    figures["modes"].setdefault(mode, {})[name] = {
                        **result.as_dict(), "ratio": result.rps / bare.rps, "loadavg_1m": loadavg[name],
                        **({"writes": writer.counts} if writer is not None else {})}
                    rows.append(result.row(f"{mode}: {name} ({reqs[0].path}{' …' if len(reqs) > 1 else ''}),"
                                           f" load {loadavg[name]:.2f}", bare.rps))
        print(f"\n{len(approved)} approved listings, {args.connections} connections, {args.duration:.0f} s each "
              f"({bare.generator}){', writer on' if args.writer else ''}\n{TABLE_HEADER}\n" + "\n".join(rows))
        print("results:", write_results("scale", figures))


if __name__ == "__main__":
    main()
