"""Profile one checkout: the SQL statements it sends, and where its Python time goes.

Seeds a bench database (PostgreSQL from ``TEST_DATABASE_URL``, else SQLite) as ``checkout_bench.py``
does, then checks out buyers through the Flask test client in this process: prints the statements of
one checkout (token auth, cart lock, stock, order, outbox, response) and a cProfile of ``--n`` more.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/checkout_profile.py
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event  # noqa: E402

from checkout_bench import ADDRESS, database_url, seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="checkouts under cProfile")
    parser.add_argument("--top", type=int, default=30)
    args = parser.parse_args()

    from marketplace import create_app
    from marketplace.config import Settings

    with database_url() as url:
        tokens = seed(url, shops=10, listings=100, buyers=args.n + 3)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "PAYMENT_GATEWAY": "sandbox",
               "SESSION_COOKIE_SECURE": "0", "RATELIMIT_STORAGE_URI": "memory://"}
        settings = Settings.from_env(env)
        app = create_app(settings)
        client = app.test_client()
        statements: list[str] = []
        db = app.extensions["db"]

        @event.listens_for(db.write_engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            statements.append(" ".join(statement.split())[:160])

        def checkout(token: str) -> None:
            resp = client.post("/api/v1/checkout", json={"shipping_address": ADDRESS},
                               headers={"Authorization": f"Bearer {token}"})
            assert resp.status_code == 201, resp.get_json()

        checkout(tokens[0])  # warm-up (mappers, compiled-statement cache, pool)
        statements.clear()
        checkout(tokens[1])
        print(f"{len(statements)} statements in one checkout:")
        for s in statements:
            print("  ", s)
        half = 2 + args.n // 2
        started, cpu = time.perf_counter(), time.process_time()
        for token in tokens[2:half]:
            checkout(token)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{half - 2} checkouts one at a time, no profiler: {took / (half - 2) * 1000:.1f} ms each "
              f"({cpu / (half - 2) * 1000:.1f} ms of it CPU in this process)")
        profile = cProfile.Profile(time.process_time)  # CPU, not waits on the database
        profile.enable()
        for token in tokens[half:]:
            checkout(token)
        profile.disable()
        profile.dump_stats("/tmp/checkout.prof"); stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(r"marketplace|events|commit|wait|flush|dump", args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        db.dispose()


if __name__ == "__main__":
    main()
