"""Benchmark: the programme figures (``GET /api/v1/programme/figures``) for both cities over a year of
100,000 orders.

Seeds the impact benchmark's marketplace (``bench/impact_bench.populate``: orders spread evenly over 2025
and 2026, each with its seller orders and ledger sale, refunds, listings and moderation decisions,
shops in every kelurahan of both cities) with ``--orders`` orders (default 200,000: about 100,000 of
them paid in 2026), and adds what the programme figures read: a birth year for seven artisans in ten,
one or two crafts each, and ``--events`` trainings, workshops, festivals and markets in 2026 with 30
registrations each (four in five checked in, artisans and buyers). Bulk core inserts, in a throwaway
PostgreSQL schema (``TEST_DATABASE_URL``) or a temporary SQLite file.

Then it times, in-process (no HTTP), the public figures of both cities over 2026
(``figures.services.figures``), the same for one city, and the potential map
(``figures.potential.potential``), and for reference the impact report of the same year (it reads the
same counted seller orders), ``--repeat`` times each, and prints p50/max with the number of
orders paid in the year. A benchmark, not a test: nothing asserts on the numbers. Record runs in
bench/README.md.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/programme_figures_bench.py
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

from sqlalchemy import event, func, select  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.impact_bench import _bulk, populate  # noqa: E402
from bench.search_bench import pg_schema  # noqa: E402
from marketplace.accounts.models import User  # noqa: E402
from marketplace.db import make_engine, normalise_url  # noqa: E402
from marketplace.figures import potential, services  # noqa: E402
from marketplace.impact import services as impact  # noqa: E402
from marketplace.figures.models import ArtisanCraft, ArtisanProfile  # noqa: E402
from marketplace.impact.schemas import period_of  # noqa: E402
from marketplace.listings.models import CATEGORIES  # noqa: E402
from marketplace.orders.models import Order  # noqa: E402
from marketplace.programme.models import ProgrammeEvent, Registration  # noqa: E402
from marketplace.sentra.models import Sentra  # noqa: E402
from marketplace.shops import places  # noqa: E402
from marketplace.shops.models import Shop  # noqa: E402

YEAR = (date(2026, 1, 1), date(2026, 12, 31))
KINDS = ("training", "workshop", "festival", "market")


def add_programme(url: str, n_events: int, seed: int = 27) -> None:
    rng = random.Random(seed)
    engine = make_engine(url)
    with engine.begin() as conn:
        owners = [r.owner_id for r in conn.execute(select(Shop.owner_id))]
        users = conn.execute(select(func.max(User.id))).scalar_one()  # artisans and buyers alike
        sentra = [(r.id, r.city) for r in conn.execute(select(Sentra.id, Sentra.city))]
        _bulk(conn, ArtisanProfile.__table__, [
            {"user_id": o, "birth_year": rng.randrange(1960, 2011), "updated_at": datetime(2025, 1, 1, tzinfo=timezone.utc)}
            for o in owners if rng.random() < 0.7])
        _bulk(conn, ArtisanCraft.__table__, [
            {"user_id": o, "category": c} for o in owners for c in rng.sample(CATEGORIES, rng.randrange(1, 3))])
        events, registrations = [], []
        start = datetime(2026, 1, 1, tzinfo=timezone.utc)
        for e in range(1, n_events + 1):
            starts = start + timedelta(seconds=rng.randrange(360 * 86400))
            sentra_id, city = rng.choice(sentra) if rng.random() < 0.7 else (None, rng.choice(places.CITIES))
            events.append({"id": e, "kind": rng.choice(KINDS), "status": "scheduled", "title": f"Acara {e}",
                           "description": "", "venue": "Balai", "city": city, "sentra_id": sentra_id,
                           "starts_at": starts, "ends_at": starts + timedelta(hours=3), "capacity": 40,
                           "registration_opens_at": starts - timedelta(days=14),
                           "registration_closes_at": starts - timedelta(hours=1),
                           "created_at": starts - timedelta(days=20), "updated_at": starts - timedelta(days=20)})
            for user in rng.sample(range(1, users), 30):
                came = rng.random() < 0.8
                registrations.append({"event_id": e, "user_id": user, "status": "attended" if came else "registered",
                                      "code": f"B{len(registrations):07d}", "queued_at": starts - timedelta(days=3),
                                      "attended_at": starts if came else None, "created_at": starts - timedelta(days=3)})
        _bulk(conn, ProgrammeEvent.__table__, events)
        _bulk(conn, Registration.__table__, registrations)
        if engine.dialect.name == "postgresql":
            for table in ("artisan_profiles", "artisan_crafts", "programme_events", "programme_registrations"):
                conn.exec_driver_sql(f"ANALYZE {table}")
    engine.dispose()
    print(f"programme: {n_events} events, {len(registrations)} registrations")


def timed(url: str, repeat: int) -> None:
    engine = make_engine(url)
    log: list[tuple[float, str]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def _before(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        conn.info["t0"] = time.perf_counter()

    @event.listens_for(engine, "after_cursor_execute")
    def _after(conn, cursor, statement, parameters, context, executemany) -> None:  # noqa: ANN001
        log.append(((time.perf_counter() - conn.info["t0"]) * 1000, " ".join(statement.split())[:80]))

    factory = sessionmaker(bind=engine)
    period = period_of({"from_": YEAR[0], "to": YEAR[1]})
    now = datetime(2027, 1, 15, tzinfo=timezone.utc)
    with factory() as session:
        paid = session.scalar(select(func.count()).select_from(Order).where(
            Order.paid_at >= period.start, Order.paid_at < period.end))
    print(f"orders paid in {YEAR[0].year}: {paid}\n")
    cases = (("figures, both cities (public)", lambda s: services.figures(s, period, now=now)),
             ("figures, both cities (admin, nothing suppressed)", lambda s: services.figures(s, period, suppress=False, now=now)),
             ("figures, Bekasi", lambda s: services.figures(s, period, city="Bekasi", now=now)),
             ("potential map, both cities", lambda s: potential.potential(s, period)),
             # The same run's reference: the admins' impact report reads the same counted seller orders.
             ("reference: impact report, kelurahan", lambda s: impact.report(s, "kelurahan", period)))
    print("| in-process | p50 ms | max ms |\n|---|---|---|")
    for label, run in cases:
        times = []
        for _ in range(repeat):
            log.clear()
            with factory() as session:
                t0 = time.perf_counter()
                run(session)
                times.append((time.perf_counter() - t0) * 1000)
                session.rollback()
        print(f"| {label} | {statistics.median(times):.0f} | {max(times):.0f} |")
        if label.startswith("figures, both cities (public)"):
            slowest = sorted(log, reverse=True)[:5]
    print("\nThe slowest statements of the last public figures run:\n\n| ms | statement |\n|---|---|")
    for ms, statement in slowest:
        print(f"| {ms:.0f} | `{statement}` |")
    engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=200_000, help="over two years (about half in the measured one)")
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--events", type=int, default=300)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--sqlite", action="store_true", help="also run on SQLite")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        pg = os.environ.get("TEST_DATABASE_URL", "").strip()
        if pg:
            with pg_schema(normalise_url(pg)) as url:
                t0 = time.perf_counter()
                populate(url, args.orders, args.shops)
                add_programme(url, args.events)
                print(f"PostgreSQL: seeded in {time.perf_counter() - t0:.0f} s")
                timed(url, args.repeat)
        if args.sqlite or not pg:
            url = f"sqlite:///{tmp}/bench.db"
            populate(url, args.orders, args.shops)
            add_programme(url, args.events)
            print("SQLite:")
            timed(url, args.repeat)


if __name__ == "__main__":
    main()
