"""Profile the storefront's anonymous catalogue reads: SQL statements per request, and where the time goes.

Seeds a bench database as ``storefront_bench.py`` does (PostgreSQL from ``TEST_DATABASE_URL``, else
SQLite), then requests each page ``--n`` times through the Flask test client in this process (no
cookies, as wrk sends none) and prints, per page: the statements one request sends, the mean time
per request, and the top of a cProfile of the ``--n`` requests (cumulative time).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/storefront_profile.py
    .venv/bin/python bench/storefront_profile.py --n 100 --only /search --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import event  # noqa: E402

from bench.harness import bench_database  # noqa: E402
from bench.storefront_bench import seed  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=["postgresql", "sqlite"], default=None)
    parser.add_argument("--n", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--extra", type=int, default=0)
    parser.add_argument("--only", action="append")
    args = parser.parse_args()
    from marketplace.web.app import create_app
    from marketplace.config import Settings

    with bench_database(args.db) as url, tempfile.TemporaryDirectory() as var_dir:
        ids = seed(url, var_dir, args.extra)
        settings = Settings.from_env({"DATABASE_URL": url, "VAR_DIR": var_dir, "SECRET_KEY": "bench-secret",
                                      "SESSION_COOKIE_SECURE": "0", "RATELIMIT_STORAGE_URI": "memory://"})
        app = create_app(settings)
        statements: list[str] = []
        event.listen(app.extensions["db"].engine, "before_cursor_execute",
                     lambda conn, cursor, stmt, *a: statements.append(stmt))
        pages = ["/api/v1/listings", "/api/v1/listings?q=batik", f"/listings/{ids[len(ids) // 2]}", "/",
                 "/search?q=batik"]
        for path in pages:
            if args.only and not any(path.startswith(o) for o in args.only):
                continue
            client = app.test_client(use_cookies=False)
            assert client.get(path).status_code == 200  # warm-up (templates compiled, caches filled)
            statements.clear()
            resp = client.get(path)
            print(f"\n=== {path}: {resp.status_code}, {len(resp.data)} bytes, {len(statements)} statements,"
                  f" Set-Cookie: {'yes' if resp.headers.get('Set-Cookie') else 'no'}")
            for s in statements:
                print("   ", " ".join(s.split())[:160])
            profile = cProfile.Profile()
            started = time.perf_counter()
            profile.enable()
            for _ in range(args.n):
                client.get(path)
            profile.disable()
            took = (time.perf_counter() - started) / args.n * 1000
            print(f"  {took:.2f} ms per request in process (profiled)")
            out = io.StringIO()
            pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(args.top)
            print("\n".join(line for line in out.getvalue().splitlines() if line.strip())[-(args.top + 2) * 200:])


if __name__ == "__main__":
    main()
