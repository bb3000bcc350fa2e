"""Storefront benchmark (issue #15): anonymous catalogue reads under gunicorn, as ratios to bare Flask.

Seeds the demo catalogue (``marketplace.local.seed.seed_demo``: its artisans, shops, photos and moderation
decisions) and, with ``--extra N``, N more approved listings spread over new shops in every kelurahan
(titles and descriptions from the search benchmark's vocabulary, one photo row each), into a
PostgreSQL schema of its own (``TEST_DATABASE_URL``, dropped afterwards) or a SQLite file
(``--db sqlite``, or no ``TEST_DATABASE_URL``). Then it serves ``bench.bare_app:app`` and
``marketplace.web.wsgi:app`` with the same gunicorn settings (``--workers``, ``--worker-class``,
``--threads``; default: ``WEB_WORKERS``/``WEB_WORKER_CLASS``/``WEB_THREADS`` or 2 sync workers) and
drives each endpoint with ``bench.harness.load`` (wrk when installed), one after the other:

- ``bare /ok`` — the baseline, the same run, the same cores;
- ``GET /api/v1/listings``, ``GET /api/v1/listings?q=batik``;
- a listing page (a random approved listing on every request), the home page, ``/search?q=batik``.

Every request is anonymous and sends no cookie (as wrk does), so this measures a first visit, the
worst case for a per-visitor page. It prints one table (absolute figures and ratios to bare Flask)
and writes ``bench/results/<time>-storefront.json``. A benchmark, not a test: nothing asserts.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/storefront_bench.py
    .venv/bin/python bench/storefront_bench.py --db sqlite --duration 5
    .venv/bin/python bench/storefront_bench.py --worker-class gthread --threads 4 --extra 2000
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.harness import TABLE_HEADER, Req, bench_database, load, serve, write_results  # noqa: E402

ENDPOINTS: list[tuple[str, str]] = [
    ("GET /api/v1/listings", "/api/v1/listings"),
    ("GET /api/v1/listings?q=batik", "/api/v1/listings?q=batik"),
    ("listing page (random)", "LISTING"),
    ("home page", "/"),
    ("/search?q=batik", "/search?q=batik"),
]


def seed(url: str, var_dir: str, extra: int) -> list[int]:
    """The demo catalogue (+ ``extra`` synthetic approved listings); returns the approved listing ids."""
    from sqlalchemy import select, text

    from marketplace.config import Settings
    from marketplace.db import Database
    from marketplace.listings.models import Listing
    from marketplace.local.seed import seed_demo
    from marketplace.shops.models import Shop

    settings = Settings.from_env({"DATABASE_URL": url, "VAR_DIR": var_dir, "SECRET_KEY": "bench-secret"})
    seed_demo(settings, admin_password="bench-admin-password")
    db = Database(url, writer=True)
    try:
        with db.engine.begin() as conn:
            if extra:
                _extra_listings(conn, extra)
            if db.engine.dialect.name == "postgresql":
                conn.execute(text("ANALYZE"))
            ids = list(conn.execute(
                select(Listing.id).join(Shop, Shop.id == Listing.shop_id)
                .where(Listing.status == "approved", Shop.suspended_at.is_(None))).scalars())
    finally:
        db.dispose()
    return ids


def _extra_listings(conn: Any, n: int, seed_value: int = 7) -> None:
    from sqlalchemy import func, insert, select

    from bench.search_bench import MATERIALS, MOTIFS, NOUNS, WORDS
    from marketplace.accounts.models import User
    from marketplace.listings.models import CATEGORIES, Listing, ListingImage
    from marketplace.shops import places
    from marketplace.shops.models import Shop

    rng = random.Random(seed_value)
    first_user = (conn.scalar(select(func.max(User.id))) or 0) + 1
    first_shop = (conn.scalar(select(func.max(Shop.id))) or 0) + 1
    first_listing = (conn.scalar(select(func.max(Listing.id))) or 0) + 1
    kelurahan = [(c, k) for c in places.CITIES for k in places.kelurahan_of(c)]
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    shops = max(1, n // 40)
    conn.execute(insert(User), [
        {"id": first_user + i, "email": f"bench{i}@bench.id", "name": f"Perajin {i}", "password_hash": "x",
         "role": "artisan", "is_active": True, "created_at": base} for i in range(shops)])
    shop_rows = []
    for i in range(shops):
        city, kel = rng.choice(kelurahan)
        shop_rows.append({"id": first_shop + i, "owner_id": first_user + i, "name": f"Toko Perajin {i}",
                          "slug": f"toko-perajin-{i}", "description": "", "city": city, "kelurahan": kel,
                          "sentra": f"Sentra {kel}", "created_at": base})
    conn.execute(insert(Shop), shop_rows)
    rows, images = [], []
    for i in range(n):
        created = base + timedelta(minutes=i)
        rows.append({"id": first_listing + i, "shop_id": first_shop + rng.randrange(shops),
                     "title": f"{rng.choice(NOUNS)} {rng.choice(MATERIALS)} Motif {rng.choice(MOTIFS)}",
                     "description": " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 60))),
                     "category": rng.choice(CATEGORIES), "price_idr": rng.randrange(20_000, 2_000_000, 500),
                     "stock": 5, "weight_grams": 300, "fulfilment": "ready_to_ship", "processing_days": 0,
                     "status": "approved", "created_at": created, "updated_at": created, "approved_at": created})
        images.append({"listing_id": first_listing + i, "position": 0, "key": f"listings/b{i}/a.jpg",
                       "thumb_key": f"listings/b{i}/a-thumb.jpg", "content_type": "image/jpeg", "width": 800,
                       "height": 800, "created_at": created})
    for start in range(0, n, 1000):
        conn.execute(insert(Listing), rows[start:start + 1000])
        conn.execute(insert(ListingImage), images[start:start + 1000])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default=None,
                        help="default: PostgreSQL when TEST_DATABASE_URL is set, else SQLite")
    parser.add_argument("--extra", type=int, default=0, help="synthetic approved listings beside the demo catalogue")
    parser.add_argument("--duration", type=float, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--warmup", type=float, default=2, help="seconds of load before each measurement")
    parser.add_argument("--workers", type=int, default=None)
    parser.add_argument("--worker-class", default=None)
    parser.add_argument("--threads", type=int, default=None)
    parser.add_argument("--only", action="append", help="endpoint name prefix to measure (repeatable)")
    args = parser.parse_args()

    gunicorn = {"workers": args.workers or int(os.environ.get("WEB_WORKERS", "2")),
                "worker_class": args.worker_class or os.environ.get("WEB_WORKER_CLASS", "sync"),
                "threads": args.threads or int(os.environ.get("WEB_THREADS", "1"))}
    figures: dict[str, Any] = {"gunicorn": gunicorn, "connections": args.connections, "duration_s": args.duration}
    with bench_database(args.db) as url, tempfile.TemporaryDirectory() as var_dir:
        kind = "postgresql" if url.startswith("postgresql") else "sqlite"
        ids = seed(url, var_dir, args.extra)
        figures.update(database=kind, approved_listings=len(ids))
        print(f"[{kind}] {len(ids)} approved listings; gunicorn {gunicorn}; {args.connections} connections, "
              f"{args.duration:.0f} s each", flush=True)

        def measure(port: int, path: str) -> Any:
            reqs = [Req("GET", f"/listings/{i}") for i in ids] if path == "LISTING" else [Req("GET", path)]
            # The random listing page warms up longer: every listing is a page of its own to render
            # once per process before the steady state (``--warmup``) that the other endpoints reach at once.
            warmup = args.warmup * (3 if path == "LISTING" else 1)
            return load(port, reqs, connections=args.connections, duration=args.duration, warmup=warmup)

        with serve("bench.bare_app:app", **gunicorn) as (port, _):
            bare = measure(port, "/ok")
        rows = [bare.row("bare Flask /ok")]
        figures["bare"] = bare.as_dict()
        env = {"DATABASE_URL": url, "VAR_DIR": var_dir, "SECRET_KEY": "bench-secret", "SESSION_COOKIE_SECURE": "0",
               "RATELIMIT_STORAGE_URI": "memory://", "PAYMENT_GATEWAY": "sandbox"}
        with serve("marketplace.web.wsgi:app", env=env, **gunicorn) as (port, _):
            for name, path in ENDPOINTS:
                if args.only and not any(name.startswith(o) or path.startswith(o) for o in args.only):
                    continue
                result = measure(port, path)
                rows.append(result.row(name, bare.rps))
                figures[name] = {**result.as_dict(), "ratio_to_bare": result.rps / bare.rps}
                print(rows[-1], flush=True)
    print(f"\n[{kind}] gunicorn {gunicorn['workers']} × {gunicorn['worker_class']} "
          f"(threads {gunicorn['threads']}), {args.connections} connections, {bare.generator}\n{TABLE_HEADER}")
    print("\n".join(rows))
    print("results:", write_results("storefront", figures))


if __name__ == "__main__":
    main()
