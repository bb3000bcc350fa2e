"""Benchmark: the impact figures (``GET /api/v1/admin/impact``) on a large marketplace.

Seeds ``--orders`` paid orders (default 100,000) over two years, spread over ``--shops`` shops in every
kelurahan of the programme (two in three in their kelurahan's sentra), one seller order each and every
tenth order with a second shop, each with its ledger ``sale`` (three entries; the database's triggers
keep each seller order's ledger totals beside them, ``marketplace.ledger.totals``), 5 % of them partly
refunded (a refund row and its ledger ``refund``) and most shipped; plus listings and their moderation
decisions. Rows are written with bulk core inserts (``executemany``) in a throwaway PostgreSQL schema
(``TEST_DATABASE_URL``) or a temporary SQLite file.
Then it times the report in-process (``services.report`` alone, no HTTP, with the time of each SQL
statement it runs) and calls the API through the app (an admin's bearer token) for each grouping over one
year, over the two years (JSON and CSV) and over one month, and prints p50/max of ``--repeat`` calls. ``--explain FILE``
writes PostgreSQL's ``EXPLAIN (ANALYZE, BUFFERS)`` of every statement of one report (kelurahan, one year).

A benchmark, not a test: nothing asserts on the numbers. Record runs in bench/README.md.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/impact_bench.py
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import event, insert  # noqa: E402

from bench.search_bench import pg_schema  # noqa: E402
from marketplace import models  # noqa: E402
from marketplace.web.app import create_app  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.config import Settings  # noqa: E402
from marketplace.db import make_engine, normalise_url  # noqa: E402
from marketplace.ledger.models import LedgerEntry, LedgerTransaction  # noqa: E402
from marketplace.listings.models import Listing  # noqa: E402
from marketplace.moderation.models import ModerationDecision  # noqa: E402
from marketplace.orders.models import Order, SellerOrder  # noqa: E402
from marketplace.payments.models import Refund  # noqa: E402
from marketplace.sentra.models import Sentra  # noqa: E402
from marketplace.shipping.provinces import PROVINCES  # noqa: E402
from marketplace.shops import places  # noqa: E402
from marketplace.shops.models import Shop  # noqa: E402

CITIES = ["Tangerang Selatan", "Bekasi", "Jakarta Selatan", "Bandung", "Surabaya", "Medan", "Makassar", "Denpasar"]
BATCH = 10_000


def _bulk(conn, table, rows: list[dict]) -> None:  # noqa: ANN001
    for i in range(0, len(rows), BATCH):
        conn.execute(insert(table), rows[i:i + BATCH])


def populate(url: str, n_orders: int, n_shops: int, seed: int = 13) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    models.create_all(engine)
    places_list = [(c, k) for c in places.CITIES for k in places.kelurahan_of(c)]
    start = datetime(2025, 1, 1, tzinfo=timezone.utc)
    span = 730 * 86400
    n_buyers = max(10, n_orders // 5)
    with engine.begin() as conn:
        _bulk(conn, User.__table__, [{"id": i, "email": f"u{i}@example.id", "name": f"User {i}", "password_hash": "x",
                                      "role": "artisan" if i <= n_shops else "buyer"} for i in range(1, n_shops + n_buyers + 2)])
        # Every place has a sentra; two shops in three belong to their place's (the sentra grouping has
        # groups as many as the kelurahan one, plus the shops in none).
        _bulk(conn, Sentra.__table__, [{"id": n + 1, "name": f"Sentra {k}", "slug": f"sentra-{n + 1}", "city": c,
                                        "kelurahan": k, "focus": "batik", "story": "", "created_at": start,
                                        "updated_at": start} for n, (c, k) in enumerate(places_list)])
        _bulk(conn, Shop.__table__, [{"id": i, "owner_id": i, "name": f"Toko {i}", "slug": f"toko-{i}", "description": "",
                                      "city": places_list[i % len(places_list)][0], "kelurahan": places_list[i % len(places_list)][1],
                                      "sentra_id": (i % len(places_list)) + 1 if i % 3 else None,
                                      "created_at": start + timedelta(seconds=rng.randrange(span))} for i in range(1, n_shops + 1)])
        admin = n_shops + n_buyers + 1
        listings, decisions = [], []
        for i in range(1, n_shops * 10 + 1):
            submitted = start + timedelta(seconds=rng.randrange(span))
            decided = submitted + timedelta(hours=rng.uniform(1, 72))
            listings.append({"id": i, "shop_id": 1 + i % n_shops, "title": f"Produk {i}", "description": "", "category": "batik",
                             "price_idr": 100_000, "stock": 5, "weight_grams": 400, "status": "approved", "revision": 1,
                             "created_at": submitted, "updated_at": decided, "submitted_at": submitted, "approved_at": decided})
            decisions.append({"listing_id": i, "moderator_id": admin, "decision": "approved", "revision": 1, "decided_at": decided})
        _bulk(conn, Listing.__table__, listings)
        _bulk(conn, ModerationDecision.__table__, decisions)
        orders, parts, txs, entries, refunds = [], [], [], [], []
        so_id = tx_id = 0
        for o in range(1, n_orders + 1):
            paid = start + timedelta(seconds=rng.randrange(span))
            city = rng.choice(CITIES)
            province = rng.choice(PROVINCES[:16]) if rng.random() < 0.5 else {"Tangerang Selatan": "Banten", "Bekasi": "Jawa Barat"}.get(city, "DKI Jakarta")
            shops = [rng.randrange(1, n_shops + 1)] + ([rng.randrange(1, n_shops + 1)] if o % 10 == 0 else [])
            amounts = [(rng.randrange(20, 500) * 1000, 10_000) for _ in shops]
            subtotal, shipping = sum(a for a, _ in amounts), sum(s for _, s in amounts)
            orders.append({"id": o, "buyer_id": n_shops + 1 + rng.randrange(n_buyers), "status": "paid", "subtotal_idr": subtotal,
                           "shipping_idr": shipping, "total_idr": subtotal + shipping, "recipient": "Rina", "phone": "081234567890",
                           "line1": "Jl. Melati 3", "city": city, "province": province, "postal_code": "15411",
                           "created_at": paid, "updated_at": paid, "payment_due_at": paid, "paid_at": paid})
            for shop, (sub, ship) in zip(shops, amounts):
                so_id += 1
                tx_id += 1
                shipped = paid + timedelta(hours=rng.uniform(2, 120)) if rng.random() < 0.8 else None
                parts.append({"id": so_id, "order_id": o, "shop_id": shop, "status": "shipped" if shipped else "awaiting_shipment",
                              "subtotal_idr": sub, "shipping_idr": ship, "shipping_zone": "java", "weight_grams": 500,
                              "processing_days": 0, "shipped_at": shipped})
                commission = sub // 10
                txs.append({"id": tx_id, "kind": "sale", "ref": f"sale:so-{so_id}", "order_id": o, "commission_bps": 1000, "refund_id": None,
                            "memo": "", "created_at": paid})
                entries += [{"transaction_id": tx_id, "account": "buyer_payments", "amount_idr": -(sub + ship), "seller_order_id": so_id},
                            {"transaction_id": tx_id, "account": "platform_commission", "amount_idr": commission, "seller_order_id": so_id},
                            {"transaction_id": tx_id, "account": f"seller_payable:{shop}", "amount_idr": sub + ship - commission,
                             "seller_order_id": so_id}]
                if rng.random() < 0.05:
                    tx_id += 1
                    amount = sub // 2
                    refunds.append({"id": len(refunds) + 1, "order_id": o, "seller_order_id": so_id, "amount_idr": amount,
                                    "reason": "rusak", "status": "succeeded", "created_at": paid, "updated_at": paid})
                    txs.append({"id": tx_id, "kind": "refund", "ref": f"refund:{len(refunds)}", "order_id": o,
                                "refund_id": len(refunds), "commission_bps": None, "memo": "", "created_at": paid})
                    back = commission // 2
                    entries += [{"transaction_id": tx_id, "account": "refunds", "amount_idr": amount, "seller_order_id": so_id},
                                {"transaction_id": tx_id, "account": "platform_commission", "amount_idr": -back, "seller_order_id": so_id},
                                {"transaction_id": tx_id, "account": f"seller_payable:{shop}", "amount_idr": -(amount - back),
                                 "seller_order_id": so_id}]
        for table, rows in ((Order.__table__, orders), (SellerOrder.__table__, parts), (Refund.__table__, refunds),
                            (LedgerTransaction.__table__, txs), (LedgerEntry.__table__, entries)):
            _bulk(conn, table, rows)
        if engine.dialect.name == "postgresql":  # explicit ids: move the sequences past them
            for name in ("users", "sentra", "shops", "listings", "orders", "seller_orders", "refunds", "ledger_transactions"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                                     f"(SELECT coalesce(max(id), 1) FROM {name}))")
            # Only this schema's tables: a bare ANALYZE takes every schema of the shared database, and
            # deadlocked with another run dropping its own.
            for table in ("users", "sentra", "shops", "listings", "moderation_decisions", "orders", "seller_orders",
                          "refunds", "ledger_transactions", "ledger_entries", "ledger_seller_order_totals"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    engine.dispose()
    print(f"seeded {n_orders} orders, {so_id} seller orders, {len(entries)} ledger entries, {len(refunds)} refunds")


PERIODS = (("1 year", date(2026, 1, 1), date(2026, 12, 31)), ("2 years", date(2025, 1, 1), date(2026, 12, 31)),
           ("1 month", date(2026, 6, 1), date(2026, 6, 30)))


class Statements:
    """Every SQL statement run on an engine while recording, with its parameters and its time."""

    def __init__(self, engine) -> None:  # noqa: ANN001
        self.log: list[tuple[str, object, float]] = []
        self.recording = False
        event.listen(engine, "before_cursor_execute", self._before)
        event.listen(engine, "after_cursor_execute", self._after)

    def _before(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        conn.info["t0"] = time.perf_counter()

    def _after(self, conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        if self.recording:
            self.log.append((statement, parameters, (time.perf_counter() - conn.info["t0"]) * 1000))


def _first_line(statement: str) -> str:
    return " ".join(statement.split())[:90]


def in_process(url: str, repeat: int) -> None:
    """The report timed without HTTP, and the statements of its last run with their times."""
    from sqlalchemy.orm import sessionmaker

    from marketplace.impact import schemas, services

    engine = make_engine(url)
    statements = Statements(engine)
    factory = sessionmaker(bind=engine)
    print("| in-process report | p50 ms | max ms | statements |\n|---|---|---|---|")
    for group in ("kelurahan", "city"):
        for label, first, last in PERIODS:
            period = schemas.period_of({"from_": first, "to": last})
            times = []
            for _ in range(repeat):
                statements.log.clear()
                statements.recording = True
                session = factory()
                try:
                    t0 = time.perf_counter()
                    services.report(session, group, period)
                    times.append((time.perf_counter() - t0) * 1000)
                finally:
                    session.rollback()
                    session.close()
                    statements.recording = False
            print(f"| {group}, {label} | {statistics.median(times):.0f} | {max(times):.0f} | "
                  f"{len([s for s in statements.log if s[0] != 'BEGIN'])} |")
            if (group, label) == ("kelurahan", "1 year"):
                slowest = sorted(statements.log, key=lambda s: -s[2])
    print("\nStatements of the last kelurahan, 1 year report, slowest first:\n\n| ms | statement |\n|---|---|")
    for statement, _params, ms in slowest:
        if statement == "BEGIN":
            continue
        print(f"| {ms:.1f} | `{_first_line(statement)}` |")
    engine.dispose()


def explain(url: str, path: str) -> None:
    """``EXPLAIN (ANALYZE, BUFFERS)`` of every statement of one report (kelurahan, one year), replayed in
    order in one transaction (so the temporary table a statement creates is there for the next ones)."""
    from sqlalchemy.orm import sessionmaker

    from marketplace.impact import schemas, services

    engine = make_engine(url)
    statements = Statements(engine)
    session = sessionmaker(bind=engine)()
    period = schemas.period_of({"from_": PERIODS[0][1], "to": PERIODS[0][2]})
    statements.recording = True
    try:
        services.report(session, "kelurahan", period)
    finally:
        statements.recording = False
        session.rollback()
        session.close()
    with engine.connect() as conn, open(path, "w") as out:
        cursor = conn.connection.driver_connection.cursor()
        for statement, params, _ms in statements.log:
            if statement.lstrip().upper().startswith(("SELECT", "CREATE", "WITH")):
                cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + statement, params)
                plan = "\n".join(row[0] for row in cursor.fetchall())
                out.write(f"=== {statement}\n{plan}\n\n")
            else:
                cursor.execute(statement, params)
        conn.rollback()
    engine.dispose()
    print(f"plans written to {path}")


def measure(url: str, repeat: int, tmp: str) -> None:
    from marketplace.accounts import services as accounts

    app = create_app(Settings(database_url=url, secret_key="bench", var_dir=f"{tmp}/var", media_root=f"{tmp}/media",
                              session_cookie_secure=False, testing=True))
    with app.extensions["db"].transaction() as session:
        admin = accounts.create_admin(session, email="bench-admin@example.id", password="correct horse battery")
        token, _ = accounts.issue_token(session, admin, 24)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    print("| request | p50 ms | max ms |\n|---|---|---|")
    for group in ("kelurahan", "city"):
        for label, query in (("1 year", "from=2026-01-01&to=2026-12-31"), ("2 years", "from=2025-01-01&to=2026-12-31"),
                             ("2 years, CSV", "from=2025-01-01&to=2026-12-31&format=csv"),
                             ("1 month", "from=2026-06-01&to=2026-06-30")):
            times = []
            for _ in range(repeat):
                t0 = time.perf_counter()
                answer = client.get(f"/api/v1/admin/impact?group_by={group}&{query}", headers=headers)
                times.append((time.perf_counter() - t0) * 1000)
                assert answer.status_code == 200, answer.get_data(as_text=True)
            print(f"| {group}, {label} | {statistics.median(times):.0f} | {max(times):.0f} |")
    app.extensions["db"].dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    parser.add_argument("--explain", metavar="FILE", help="write EXPLAIN ANALYZE of one report's statements (PostgreSQL)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pg = os.environ.get("TEST_DATABASE_URL", "").strip()
        if pg:
            with pg_schema(normalise_url(pg)) as url:
                t0 = time.perf_counter()
                populate(url, args.orders, args.shops)
                print(f"PostgreSQL: seeded in {time.perf_counter() - t0:.0f} s")
                in_process(url, args.repeat)
                measure(url, args.repeat, tmp)
                if args.explain:
                    explain(url, args.explain)
        if args.sqlite or not pg:
            url = f"sqlite:///{tmp}/bench.db"
            populate(url, args.orders, args.shops)
            print("SQLite:")
            in_process(url, args.repeat)
            measure(url, args.repeat, tmp)


if __name__ == "__main__":
    main()
