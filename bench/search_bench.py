"""Catalogue search benchmark: N approved listings, typical searches, p50/p95 per query.

Not a test: run it by hand and record the results in bench/README.md.

    .venv/bin/python bench/search_bench.py [--n 5000] [--repeat 60]
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/search_bench.py

SQLite runs in a temporary file; PostgreSQL (when TEST_DATABASE_URL is set) in a throwaway schema that
is dropped afterwards. Times are of ``catalog.services.search`` (count + page query + photo
loading), i.e. what one ``GET /api/v1/listings`` costs in the database layer. ``--n 100000`` is the
scale of ``bench/scale_bench.py`` (which measures the pages over HTTP).
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import insert, text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

import marketplace.catalog.fts  # noqa: E402  (pg_document below)
from marketplace import models  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.catalog.services import SearchParams, search  # noqa: E402
from marketplace.db import make_engine, normalise_url  # noqa: E402
from marketplace.listings.models import CATEGORIES, Listing, ListingImage  # noqa: E402
from marketplace.shops import places  # noqa: E402
from marketplace.shops.models import Shop  # noqa: E402

NOUNS = ["Kain", "Tas", "Vas", "Selendang", "Piring", "Lampu", "Keranjang", "Kemeja", "Syal", "Dompet",
         "Tikar", "Mangkuk", "Anting", "Gelang", "Lukisan", "Puzzle", "Taplak", "Pot", "Cangkir", "Topi"]
MATERIALS = ["Batik Tulis", "Batik Cap", "Tenun Ikat", "Anyaman Pandan", "Keramik", "Bambu", "Rotan", "Rajut",
             "Eco Print", "Gerabah", "Kayu Jati", "Sutra", "Mendong", "Kulit", "Manik"]
MOTIFS = ["Kawung", "Parang", "Mega Mendung", "Bambu Kuning", "Pucuk Rebung", "Tumpal", "Sekar Jagad",
          "Truntum", "Daun Jati", "Bunga Tanjung", "Ondel-ondel", "Gabus Pucung"]
WORDS = ["dibuat", "tangan", "pewarna", "alami", "katun", "halus", "kuat", "cocok", "hadiah", "harian", "motif",
         "khas", "perajin", "muda", "kelurahan", "ukuran", "warna", "lembut", "tahan", "lama", "indigo", "soga"]

QUERIES: list[tuple[str, dict[str, Any]]] = [
    ("newest, no filter", {}),
    ("q=batik", {"q": "batik"}),
    ("q=tas anyaman", {"q": "tas anyaman"}),
    ("q=kawung indigo (title+desc)", {"q": "kawung indigo"}),
    ("q=kera (prefix on SQLite)", {"q": "kera"}),
    ("q=tenun + city + price range", {"q": "tenun", "city": "Bekasi", "min_price": 100_000, "max_price": 500_000}),
    ("category + price_asc", {"category": "keramik", "sort": "price_asc"}),
    ("kelurahan + newest", {"kelurahan": "Cipayung"}),
    ("q=batik sort=price_desc page 5", {"q": "batik", "sort": "price_desc", "page": 5}),
    ("no filter, page 100", {"page": 100}),
    ("q=zzzz (no match)", {"q": "zzzz"}),
]


def populate(url: str, n: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    models.create_all(engine)
    kelurahan = [(c, k) for c in places.CITIES for k in places.kelurahan_of(c)]
    base = datetime(2025, 1, 1, tzinfo=timezone.utc)
    with engine.begin() as conn:
        shop_count = max(1, n // 40)
        conn.execute(insert(User), [
            {"id": i + 1, "email": f"a{i}@bench.id", "name": f"Artisan {i}", "password_hash": "x", "role": "artisan",
             "is_active": True, "created_at": base} for i in range(shop_count)])
        shops = []
        for i in range(shop_count):
            city, kel = rng.choice(kelurahan)
            shops.append({"id": i + 1, "owner_id": i + 1, "name": f"Toko {i}", "slug": f"toko-{i}", "description": "",
                          "city": city, "kelurahan": kel, "created_at": base})
        conn.execute(insert(Shop), shops)
        rows, images = [], []
        for i in range(n):
            title = f"{rng.choice(NOUNS)} {rng.choice(MATERIALS)} Motif {rng.choice(MOTIFS)}"
            description = " ".join(rng.choice(WORDS) for _ in range(rng.randint(15, 60)))
            status = "approved" if rng.random() < 0.9 else rng.choice(["pending_review", "rejected", "draft"])
            created = base + timedelta(minutes=i)
            rows.append({"id": i + 1, "shop_id": rng.randint(1, shop_count), "title": title, "description": description,
                         "category": rng.choice(CATEGORIES), "price_idr": rng.randrange(20_000, 2_000_000, 500),
                         "stock": 5, "weight_grams": 300, "fulfilment": "ready_to_ship", "processing_days": 0,
                         "status": status, "created_at": created, "updated_at": created})
            images.append({"listing_id": i + 1, "position": 0, "key": f"listings/{i}/a.jpg",
                           "thumb_key": f"listings/{i}/a-thumb.jpg", "content_type": "image/jpeg", "width": 800,
                           "height": 800, "created_at": created})
        for start in range(0, n, 1000):
            conn.execute(insert(Listing), rows[start:start + 1000])
            conn.execute(insert(ListingImage), images[start:start + 1000])
        # Planner statistics, as autovacuum would have them in production; only this schema's tables
        # (a database-wide ANALYZE waits on, or deadlocks with, other schemas' DDL on a shared server).
        conn.execute(text("ANALYZE" if conn.dialect.name == "sqlite" else "ANALYZE users, shops, listings, listing_images"))
    engine.dispose()


def run(url: str, n: int, repeat: int) -> list[tuple[str, float, float, int]]:
    started = time.perf_counter()
    populate(url, n)
    print(f"  populated {n} listings in {time.perf_counter() - started:.1f}s")
    engine = make_engine(url)
    factory = sessionmaker(bind=engine)
    results = []
    with factory() as session:
        for name, query in QUERIES:
            params = SearchParams(**query)
            search(session, params)  # warm-up
            times = []
            total = 0
            for _ in range(repeat):
                t0 = time.perf_counter()
                total = search(session, params).total
                times.append((time.perf_counter() - t0) * 1000)
                session.rollback()
            times.sort()
            p95 = times[min(len(times) - 1, int(round(0.95 * len(times))) - 1)]
            results.append((name, statistics.median(times), p95, total))
        if engine.dialect.name == "postgresql":
            document = marketplace.catalog.fts.pg_document()  # the stored vector (an expression before 0018)
            plan = session.execute(text(
                f"EXPLAIN SELECT id FROM listings WHERE status = 'approved' AND {document} "
                "@@ websearch_to_tsquery('simple', 'batik')")).scalars().all()
            print("  plan for q=batik:", " / ".join(line.strip() for line in plan if "Scan" in line))
    engine.dispose()
    return results


def report(label: str, results: list[tuple[str, float, float, int]]) -> None:
    print(f"\n{label}\n| query | p50 ms | p95 ms | total |\n|---|---:|---:|---:|")
    for name, p50, p95, total in results:
        print(f"| {name} | {p50:.2f} | {p95:.2f} | {total} |")


@contextmanager
def pg_schema(base_url: str) -> Iterator[str]:
    from urllib.parse import quote

    schema = f"pk_bench_{uuid.uuid4().hex[:8]}"
    engine = make_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    sep = "&" if "?" in base_url else "?"
    try:
        yield f"{base_url}{sep}options={quote(f'-csearch_path={schema}')}"
    finally:
        with engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=60)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite ({args.n} listings)")
        report(f"SQLite, N={args.n}, {args.repeat} runs each", run(f"sqlite:///{tmp}/bench.db", args.n, args.repeat))
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    if pg:
        print(f"\nPostgreSQL ({args.n} listings)")
        with pg_schema(normalise_url(pg)) as url:
            report(f"PostgreSQL, N={args.n}, {args.repeat} runs each", run(url, args.n, args.repeat))


if __name__ == "__main__":
    main()
