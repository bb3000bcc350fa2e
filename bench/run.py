"""``make bench`` and ``bench/run.sh``: every benchmark in bench/, one after the other, small enough to finish in a minute or two.

Each benchmark stays a script of its own (run by hand with its own options for a recorded run, see
bench/README.md); this only runs them in sequence, each in its own process (its own engine, broker and
temporary files, and a crash in one does not hide the other's figures), with small sizes by default, and
prints their results as they come. ``--full`` uses each script's own defaults, the sizes of the recorded
runs. ``TEST_DATABASE_URL`` set: the benchmarks run on PostgreSQL too (checkout: on PostgreSQL only), as by hand.

    .venv/bin/python bench/run.py                 # small: a quick look, and proof they still run
    .venv/bin/python bench/run.py --full          # the recorded runs' sizes (several minutes)
    .venv/bin/python bench/run.py --only search

A benchmark, not a test: nothing asserts on the numbers. The exit code is 1 if a benchmark failed.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parent

# name → (script, arguments for the small default run). ``--full`` drops the arguments.
BENCHMARKS: dict[str, tuple[str, list[str]]] = {
    "search": ("search_bench.py", ["--n", "1000", "--repeat", "10"]),
    "pipeline": ("pipeline_bench.py", ["--n", "300", "--samples", "10"]),
    "checkout": ("checkout_bench.py", ["--n", "200", "--duration", "3", "--samples", "10"]),
    "basket": ("basket_bench.py", ["--buyers", "64", "--checkouts", "200", "--duration", "3"]),
    "upload": ("upload_bench.py", ["--rounds", "1", "--idle-seconds", "2", "--image", "jpeg40"]),
    "storefront": ("storefront_bench.py", ["--duration", "3"]),
    # PostgreSQL only (skips itself without TEST_DATABASE_URL); --full seeds 100,000 listings (~5 min).
    "scale": ("scale_bench.py", ["--n", "5000", "--duration", "3"]),
}


# benchmarks that accept --peer (run the django-oscar peer beside ours)
PEER_AWARE: set[str] = {"checkout", "basket"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="each benchmark's own (recorded-run) sizes")
    parser.add_argument("--quick", action="store_true", help="the small sizes (the default unless run by run.sh)")
    parser.add_argument("--peer", action="store_true", help="also run the django-oscar peer where supported")
    parser.add_argument("--only", choices=sorted(BENCHMARKS), action="append",
                        help="run only this benchmark (repeatable)")
    args = parser.parse_args()
    failed: list[str] = []
    summary: list[str] = []
    run_started = time.time()
    for name in args.only or list(BENCHMARKS):
        script, small = BENCHMARKS[name]
        argv = [sys.executable, str(BENCH / script), *([] if args.full else small)]
        if args.peer and name in PEER_AWARE:
            argv.append("--peer")
        print(f"=== {name}: {' '.join([f'bench/{script}', *argv[2:]])}", flush=True)
        started = time.monotonic()
        code = subprocess.call(argv, cwd=BENCH.parent)  # noqa: S603 - our own scripts, fixed arguments
        took = time.monotonic() - started
        summary.append(f"{name:<9} {'ok' if code == 0 else f'FAILED (exit code {code})'}  {took:.0f}s")
        if code != 0:
            failed.append(name)
        print(flush=True)
    print("=== summary\n" + "\n".join(summary))
    table = collect_results(run_started)
    if table:
        print(table)
    return 1 if failed else 0


def collect_results(since: float) -> str:
    """Every bench/results/*.json written by this run, as one markdown summary (also written to a file)."""
    results = BENCH / "results"
    files = sorted(p for p in results.glob("*.json") if p.stat().st_mtime >= since) if results.exists() else []
    if not files:
        return ""
    lines = ["# Benchmark run " + time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(since)), ""]
    for path in files:
        data = json.loads(path.read_text())
        lines.append(f"## {data['benchmark']} ({path.name})")
        lines.append("")
        lines.extend(_flatten(data["figures"]))
        lines.append("")
    text = "\n".join(lines)
    (results / time.strftime("%Y%m%dT%H%M%SZ-summary.md", time.gmtime(since))).write_text(text + "\n")
    return text


def _flatten(figures: object, prefix: str = "") -> list[str]:
    if isinstance(figures, dict):
        out: list[str] = []
        for key, value in figures.items():
            out.extend(_flatten(value, f"{prefix}{key}."))
        return out
    if isinstance(figures, float):
        figures = round(figures, 2)
    return [f"- {prefix.rstrip('.')}: {figures}"]


if __name__ == "__main__":
    sys.exit(main())
