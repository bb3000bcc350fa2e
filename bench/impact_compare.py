"""Old vs new impact report on the benchmark's data: the same figures, and how long each takes.

Seeds ``impact_bench``'s marketplace (``--orders``, default 100,000) into a PostgreSQL schema
(``TEST_DATABASE_URL``; a throwaway one, or ``--schema NAME`` to keep it and reuse it on the next run),
loads the old ``marketplace/impact/services.py`` from git (``--old``, default ``main``) beside the
current one, and

- compares the two ``report()`` dicts for kelurahan, city and sentra × one year, two years, one month
  (exits 1 on any difference, printing the first differing figures);
- ``--sqlite``: the same on a temporary SQLite file (its own code paths: no grouping sets, medians in
  Python);
- with ``--ab N``, times both in-process, interleaved (old, new, old, new, … N times each, same schema,
  same minutes), printing p50/min per report with the load average before and after.

A benchmark, not a test: record runs in bench/README.md.

    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test PYTHONPATH=$PWD python bench/impact_compare.py --ab 5
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager, nullcontext
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from sqlalchemy import text  # noqa: E402
from sqlalchemy.orm import sessionmaker  # noqa: E402

from bench.impact_bench import PERIODS, populate  # noqa: E402
from bench.search_bench import pg_schema  # noqa: E402
from marketplace.db import make_engine, normalise_url  # noqa: E402
from marketplace.impact import schemas  # noqa: E402
from marketplace.impact import services as new_services  # noqa: E402

GROUPS = ("kelurahan", "city", "sentra")


def old_services(ref: str, tmp: str) -> Any:
    source = subprocess.run(["git", "show", f"{ref}:marketplace/impact/services.py"], cwd=ROOT, check=True,
                            capture_output=True, text=True).stdout
    path = Path(tmp) / "old_impact_services.py"
    path.write_text(source)
    spec = importlib.util.spec_from_file_location("old_impact_services", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@contextmanager
def kept_schema(base_url: str, name: str) -> Iterator[str]:
    from urllib.parse import quote

    engine = make_engine(base_url)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{name}"'))
    engine.dispose()
    sep = "&" if "?" in base_url else "?"
    yield f"{base_url}{sep}options={quote(f'-csearch_path={name}')}"


def seeded(url: str) -> bool:
    engine = make_engine(url)
    try:
        if engine.dialect.name != "postgresql":
            return False  # a new temporary file
        with engine.connect() as conn:
            return bool(conn.execute(text("SELECT to_regclass('orders') IS NOT NULL")).scalar()) and bool(
                conn.execute(text("SELECT count(*) FROM orders")).scalar())
    finally:
        engine.dispose()


def _cpu_ms(pid: int) -> float:
    """CPU time of a local process so far (``/proc/<pid>/schedstat``: nanoseconds on the CPU), or NaN."""
    try:
        return int(Path(f"/proc/{pid}/schedstat").read_text().split()[0]) / 1e6
    except (OSError, ValueError, IndexError):
        return float("nan")


def run(factory: Any, module: Any, group: str, period: Any) -> tuple[dict[str, Any], float, float]:
    """One report: its dict, wall ms, and CPU ms (the PostgreSQL backend's, if it runs on this machine,
    plus this process's), the latter less disturbed by other work on the machine."""
    session = factory()
    try:
        pg = session.get_bind().dialect.name == "postgresql"
        pid = session.execute(text("SELECT pg_backend_pid()")).scalar() if pg else 0
        c0, p0, t0 = _cpu_ms(pid), time.process_time(), time.perf_counter()
        result = module.report(session, group, period)
        wall = (time.perf_counter() - t0) * 1000
        cpu = _cpu_ms(pid) - c0 + (time.process_time() - p0) * 1000
        return result, wall, cpu
    finally:
        session.rollback()
        session.close()


def differences(old: Any, new: Any, path: str = "") -> list[str]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = [f"{path}.{k}: only in {'old' if k in old else 'new'}" for k in set(old) ^ set(new)]
        for k in old.keys() & new.keys():
            out += differences(old[k], new[k], f"{path}.{k}")
        return out
    if isinstance(old, list) and isinstance(new, list):
        if len(old) != len(new):
            return [f"{path}: {len(old)} vs {len(new)} rows"]
        return [d for i, (a, b) in enumerate(zip(old, new)) for d in differences(a, b, f"{path}[{i}]")]
    return [] if old == new and type(old) is type(new) else [f"{path}: old {old!r} new {new!r}"]


def loadavg() -> str:
    return Path("/proc/loadavg").read_text().split(" ", 1)[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--orders", type=int, default=100_000)
    parser.add_argument("--shops", type=int, default=400)
    parser.add_argument("--old", default="main", help="git ref of the old services.py")
    parser.add_argument("--schema", help="keep the seeded data in this schema and reuse it")
    parser.add_argument("--ab", type=int, default=0, metavar="N", help="interleaved timings, N runs of each")
    parser.add_argument("--ab-reports", default="kelurahan:1 year,kelurahan:2 years,city:1 year,city:2 years,"
                        "kelurahan:1 month", help="group:period label, comma separated")
    parser.add_argument("--no-compare", action="store_true")
    parser.add_argument("--sqlite", action="store_true", help="on a temporary SQLite file instead of PostgreSQL")
    args = parser.parse_args()
    pg = os.environ.get("TEST_DATABASE_URL", "").strip()
    if not pg and not args.sqlite:
        sys.exit("TEST_DATABASE_URL (PostgreSQL) is needed, or --sqlite")
    periods = {label: schemas.period_of({"from_": first, "to": last}) for label, first, last in PERIODS}
    with tempfile.TemporaryDirectory() as tmp:
        old = old_services(args.old, tmp)
        if args.sqlite:
            schema = nullcontext(f"sqlite:///{tmp}/compare.db")
        elif args.schema:
            schema = kept_schema(normalise_url(pg), args.schema)
        else:
            schema = pg_schema(normalise_url(pg))
        with schema as url:
            if not seeded(url):
                populate(url, args.orders, args.shops)
            engine = make_engine(url)
            factory = sessionmaker(bind=engine)
            failed = False
            if not args.no_compare:
                print(f"| report | same figures (old {args.old} vs new) |\n|---|---|")
                for group in GROUPS:
                    for label, period in periods.items():
                        a = run(factory, old, group, period)[0]
                        b = run(factory, new_services, group, period)[0]
                        diff = differences(a, b)
                        failed |= bool(diff)
                        print(f"| {group}, {label} | {'yes' if not diff else 'NO: ' + '; '.join(diff[:5])} |")
            if args.ab:
                print(f"\n| report | old p50 ms | new p50 ms | ratio | old min | new min | old CPU ms | new CPU ms "
                      f"| CPU ratio | load avg |\n|---|---|---|---|---|---|---|---|---|---|")
                for spec in args.ab_reports.split(","):
                    group, label = spec.split(":")
                    before = loadavg()
                    times: dict[str, list[float]] = {"old": [], "new": []}
                    cpu: dict[str, list[float]] = {"old": [], "new": []}
                    run(factory, old, group, periods[label])  # warm both (plans, caches)
                    run(factory, new_services, group, periods[label])
                    for _ in range(args.ab):
                        for name, module in (("old", old), ("new", new_services)):
                            _, wall, used = run(factory, module, group, periods[label])
                            times[name].append(wall)
                            cpu[name].append(used)
                    o, n = statistics.median(times["old"]), statistics.median(times["new"])
                    oc, nc = statistics.median(cpu["old"]), statistics.median(cpu["new"])
                    print(f"| {group}, {label} | {o:.0f} | {n:.0f} | {o / n:.2f} | {min(times['old']):.0f} | "
                          f"{min(times['new']):.0f} | {oc:.0f} | {nc:.0f} | {oc / nc:.2f} | {before}–{loadavg()} |",
                          flush=True)
            engine.dispose()
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
