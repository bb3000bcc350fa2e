"""Profile the basket flow: the SQL statements of one add + view (page form and API), and a CPU
profile of many, through the Flask test client in this process, on ``basket_bench.py``'s seeded data.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/basket_profile.py --flow page
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
import sys
import tempfile
import time

from basket_bench import api_requests, page_requests, seed_buyers, session_cookies
from checkout_bench import app_env, seed
from harness import bench_database
from sqlalchemy import event


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--flow", choices=["page", "api"], default="page")
    parser.add_argument("--n", type=int, default=300, help="requests under cProfile")
    parser.add_argument("--top", type=int, default=35)
    args = parser.parse_args()

    from marketplace.web.app import create_app
    from marketplace.config import Settings

    with bench_database() as url, tempfile.TemporaryDirectory() as tmp:
        seed(url, shops=10, listings=100, buyers=0)
        buyers, addable = seed_buyers(url, 64)
        session_cookies(url, buyers)
        app = create_app(Settings.from_env({**os.environ, **app_env(url, 0, tmp)}))
        client = app.test_client(use_cookies=False)
        statements: list[str] = []

        @event.listens_for(app.extensions["db"].write_engine, "before_cursor_execute")
        def _count(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
            statements.append(" ".join(statement.split())[:170])

        for buyer in buyers:  # the form's CSRF token, as basket_bench.fetch_csrf does over HTTP
            resp = client.get(f"/listings/{addable[0]}", headers={"Cookie": buyer["cookie"]})
            html = resp.get_data(as_text=True)
            buyer["csrf"] = html.split('name="csrf_token" type="hidden" value="', 1)[1].split('"', 1)[0]
            for header in resp.headers.getlist("Set-Cookie"):
                if header.startswith("session="):
                    buyer["cookie"] = header.split(";", 1)[0]
        rng = random.Random(3)
        reqs = (page_requests if args.flow == "page" else api_requests)(buyers, addable, rng)

        def send(i: int) -> None:
            r = reqs[i % len(reqs)]
            resp = client.open(r.path, method=r.method, headers=r.headers, data=r.body or None)
            assert resp.status_code in (200, 302), (r.path, resp.status_code, resp.get_data(as_text=True)[:300])

        for i in range(4):
            send(i)  # warm-up
        for i in (4, 5):
            statements.clear()
            send(i)
            print(f"{len(statements)} statements in {reqs[i].method} {reqs[i].path}:")
            for s in statements:
                print("  ", s)
        started, cpu = time.perf_counter(), time.process_time()
        for i in range(6, 6 + args.n):
            send(i)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{args.n} requests one at a time: {took / args.n * 1000:.1f} ms each ({cpu / args.n * 1000:.1f} ms CPU)")
        profile = cProfile.Profile(time.process_time)
        profile.enable()
        for i in range(6 + args.n, 6 + 2 * args.n):
            send(i)
        profile.disable()
        stats = pstats.Stats(profile, stream=sys.stdout)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        app.extensions["db"].dispose()


if __name__ == "__main__":
    main()
