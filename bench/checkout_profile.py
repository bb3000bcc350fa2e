"""Profile one checkout: the SQL statements it sends, and where its Python time goes.

Seeds a bench database (PostgreSQL from ``TEST_DATABASE_URL``, else SQLite) as ``checkout_bench.py``
does, then checks out buyers through the Flask test client in this process: prints the statements of
one checkout (token auth, cart lock, stock, order, outbox, response) and a cProfile of ``--n`` more
(``--save FILE`` keeps it for ``pstats``).

``--instructions`` counts instead the Python process's instructions per checkout with valgrind's
callgrind, switched on (``callgrind_control -i on``) only around ``--n`` checkouts. Timings on this
shared machine drift by a third over minutes; the instruction count repeats to 0.01 %, so it is how a
change to the web side's Python is judged (PostgreSQL's own CPU is not in it).

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/checkout_profile.py
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/checkout_profile.py --instructions
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import os
import pstats
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from sqlalchemy import event  # noqa: E402

from checkout_bench import ADDRESS, database_url, seed  # noqa: E402

_UNDER_CALLGRIND = "PK_BENCH_UNDER_CALLGRIND"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=200, help="checkouts under cProfile (or counted)")
    parser.add_argument("--top", type=int, default=30)
    parser.add_argument("--save", help="write the cProfile data to this file")
    parser.add_argument("--instructions", action="store_true", help="count instructions per checkout (valgrind)")
    parser.add_argument("--variants-vouchers", action="store_true",
                        help="carts as basket_bench.py's checkout row: a shirt size and the programme's voucher")
    args = parser.parse_args()
    if args.instructions and not os.environ.get(_UNDER_CALLGRIND):
        count_instructions(args.n, ["--variants-vouchers"] if args.variants_vouchers else [])
        return

    from marketplace.web.app import create_app
    from marketplace.config import Settings

    with database_url() as url:
        tokens = seed(url, shops=10, listings=100, buyers=args.n + 22, variants_and_voucher=args.variants_vouchers)
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "PAYMENT_GATEWAY": "sandbox",
               "SESSION_COOKIE_SECURE": "0", "RATELIMIT_STORAGE_URI": "memory://"}
        settings = Settings.from_env(env)
        app = create_app(settings)
        gc.freeze()  # as marketplace.web.wsgi does once the app is built
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

        for token in tokens[:20]:  # warm-up (mappers, compiled-statement cache, pool, prepared statements)
            checkout(token)
        statements.clear()
        checkout(tokens[20])
        print(f"{len(statements)} statements in one checkout:")
        for s in statements:
            print("  ", s)
        measured = tokens[21:21 + args.n]
        if os.environ.get(_UNDER_CALLGRIND):
            subprocess.run(["callgrind_control", "-i", "on", str(os.getpid())], check=True, capture_output=True)
            for token in measured:
                checkout(token)
            subprocess.run(["callgrind_control", "-i", "off", str(os.getpid())], check=True, capture_output=True)
            db.dispose()
            return
        half = len(measured) // 2
        started, cpu = time.perf_counter(), time.process_time()
        for token in measured[:half]:
            checkout(token)
        took, cpu = time.perf_counter() - started, time.process_time() - cpu
        print(f"{half} checkouts one at a time, no profiler: {took / half * 1000:.1f} ms each "
              f"({cpu / half * 1000:.1f} ms of it CPU in this process)")
        profile = cProfile.Profile(time.process_time)  # CPU, not waits on the database
        profile.enable()
        for token in measured[half:]:
            checkout(token)
        profile.disable()
        if args.save:
            profile.dump_stats(args.save)
        stats = pstats.Stats(profile)
        stats.sort_stats("cumulative").print_stats(args.top)
        stats.sort_stats("cumulative").print_stats(r"marketplace|events|commit|wait|flush|dump", args.top)
        stats.sort_stats("tottime").print_stats(args.top)
        db.dispose()


def count_instructions(n: int, extra: list[str]) -> None:
    """Run this script under callgrind (instrumentation off until the measured checkouts) and print
    the instructions per checkout."""
    if not (shutil.which("valgrind") and shutil.which("callgrind_control")):
        raise SystemExit("--instructions needs valgrind (apt install valgrind)")
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "callgrind.out"
        run = subprocess.run(
            ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}",
             sys.executable, __file__, "--n", str(n), *extra],
            env={**os.environ, _UNDER_CALLGRIND: "1"}, capture_output=True, text=True)
        if run.returncode != 0 or not out.exists():
            raise SystemExit(f"the run under callgrind failed:\n{run.stdout[-3000:]}\n{run.stderr[-3000:]}")
        counts = {line.split(":")[0]: int(line.split()[1]) for line in out.read_text().splitlines()
                  if line.startswith(("summary:", "totals:"))}
        total = counts.get("totals") or counts["summary"]
    print(run.stdout.split("\n\n")[0])
    print(f"{total / n:,.0f} instructions per checkout (Python process, {n} checkouts, callgrind)")


if __name__ == "__main__":
    main()
