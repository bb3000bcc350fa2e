"""What every HTTP benchmark here shares: a database of its own, gunicorn, a load generator, results.

- ``bench_database()``: a throwaway SQLite file, or a PostgreSQL schema of its own on ``TEST_DATABASE_URL``
  (dropped afterwards), with the models' tables created.
- ``serve(app, port=..., env=...)``: gunicorn serving ``app`` (``marketplace.web.wsgi:app`` or the bare Flask
  baseline ``bench.bare_app:app``) until the block ends. Worker class, count and threads come from the
  same environment variables production reads (``WEB_WORKERS``, ``WEB_WORKER_CLASS``, ``WEB_THREADS``)
  unless given.
- ``load(port, requests, ...)``: drives HTTP load with ``wrk`` when it is installed (Debian: ``apt-get
  install wrk``), else with a Python generator (processes × threads over keep-alive connections) that
  reports the same figures: requests/s, p50/p90/p99/max latency in ms, non-2xx responses, socket errors.
  ``requests`` is a list of ``Req``; ``order="random"`` picks one at random for every request,
  ``order="cycle"`` walks the list in order on every connection (from a random start) — for flows such as
  "add to cart, then view the cart" written as consecutive pairs.
- ``write_results(name, figures)``: ``bench/results/<UTC time>-<name>.json`` (one file per benchmark run);
  ``bench/run.sh`` collects them into one table.

The load generator runs on the same two cores as the server, so every figure is read as a ratio to a
baseline measured in the same run (bare Flask for the storefront, raw kafka-python for the worker).
"""

from __future__ import annotations

import datetime as dt
import http.client
import json
import multiprocessing
import os
import random
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Iterator

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
RESULTS = BENCH / "results"
LUA = BENCH / "lua" / "requests.lua"
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@dataclass(frozen=True)
class Req:
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    body: str = ""


@dataclass
class LoadResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p90_ms: float
    p99_ms: float
    max_ms: float
    non_2xx: int
    socket_errors: int
    generator: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def row(self, name: str, baseline_rps: float | None = None) -> str:
        ratio = f"{self.rps / baseline_rps:.3f}" if baseline_rps else "1"
        return (f"| {name} | {self.rps:.1f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | {self.non_2xx} | "
                f"{self.socket_errors} | {ratio} |")


TABLE_HEADER = "| endpoint | req/s | p50 ms | p99 ms | non-2xx | socket errors | ÷ baseline |\n|---|---:|---:|---:|---:|---:|---:|"


# --- databases -----------------------------------------------------------------------------------------

@contextmanager
def bench_database(kind: str | None = None) -> Iterator[str]:
    """A URL with the schema created. ``kind``: "sqlite", "postgresql", or None (PostgreSQL when
    ``TEST_DATABASE_URL`` is set, else SQLite)."""
    from sqlalchemy import text

    from marketplace import models
    from marketplace.db import Database, normalise_url

    base = os.environ.get("TEST_DATABASE_URL", "").strip()
    if kind is None:
        kind = "postgresql" if base else "sqlite"
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite:///{tmp}/bench.db"
            db = Database(url)
            models.create_all(db.engine)
            db.dispose()
            yield url
        return
    if not base:
        raise SystemExit("PostgreSQL benchmark: set TEST_DATABASE_URL")
    base = normalise_url(base)
    schema = f"pk_bench_{uuid.uuid4().hex[:8]}"
    admin = Database(base)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    url = f"{base}{'&' if '?' in base else '?'}options=-csearch_path%3D{schema}"
    try:
        db = Database(url)
        models.create_all(db.engine)
        db.dispose()
        yield url
    finally:
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


# --- servers -------------------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(port: int, path: str = "/healthz", timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", path)
            if conn.getresponse().status < 500:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"the web server on port {port} did not answer {path} within {timeout:.0f} s")


@contextmanager
def serve(app: str, *, port: int | None = None, env: dict[str, str] | None = None, workers: int | None = None,
          worker_class: str | None = None, threads: int | None = None, ready_path: str = "/healthz",
          log: Path | None = None) -> Iterator[tuple[int, subprocess.Popen[bytes]]]:
    """gunicorn serving ``app`` on 127.0.0.1; yields (port, process)."""
    port = port or free_port()
    full_env = {**os.environ, **(env or {}), "PYTHONPATH": str(ROOT)}
    argv = [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}",
            "--workers", str(workers or full_env.get("WEB_WORKERS", "2")),
            "--worker-class", worker_class or full_env.get("WEB_WORKER_CLASS", "sync"),
            "--threads", str(threads or full_env.get("WEB_THREADS", "1")),
            "--backlog", "2048", "--log-level", "warning", app]
    log = log or Path(tempfile.mkstemp(prefix="bench-gunicorn-", suffix=".log")[1])
    with process(argv, full_env, log) as proc:
        wait_http(port, ready_path)
        yield port, proc


@contextmanager
def process(argv: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> Iterator[subprocess.Popen[bytes]]:
    """``argv`` running in ``cwd`` with its output in ``log``; terminated (then killed) on the way out."""
    with open(log, "wb") as out:
        proc = subprocess.Popen(argv, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)  # noqa: S603
        try:
            yield proc
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


# --- load ----------------------------------------------------------------------------------------------

def load(port: int, requests: list[Req], *, connections: int = 16, duration: float = 10, threads: int = 2,
         order: str = "random", warmup: float = 2, generator: str | None = None) -> LoadResult:
    """Drive ``requests`` at 127.0.0.1:``port``; ``generator`` "wrk" / "python" / None (wrk when installed)."""
    generator = generator or ("wrk" if shutil.which("wrk") else "python")
    run = _wrk if generator == "wrk" else _python_load
    if warmup > 0:
        run(port, requests, connections, warmup, threads, order)
        time.sleep(0.5)  # let the server drain what the warm-up left queued
    return run(port, requests, connections, duration, threads, order)


def _write_requests(requests: list[Req]) -> Path:
    fd, name = tempfile.mkstemp(prefix="bench-requests-", suffix=".tsv")
    with os.fdopen(fd, "w") as f:
        for r in requests:
            headers = "\x1f".join(f"{k}: {v}" for k, v in r.headers.items())
            f.write("\t".join([r.method, r.path, headers, r.body]) + "\n")
    return Path(name)


_RESULT = re.compile(r"RESULT (.*)")


def _wrk(port: int, requests: list[Req], connections: int, duration: float, threads: int, order: str) -> LoadResult:
    reqfile = _write_requests(requests)
    try:
        out = subprocess.run(  # noqa: S603
            ["wrk", f"-t{threads}", f"-c{connections}", f"-d{max(1, round(duration))}s", "--timeout", "30s",
             "-s", str(LUA), f"http://127.0.0.1:{port}", "--", str(reqfile), order, str(threads)],
            capture_output=True, text=True, check=False)
    finally:
        reqfile.unlink(missing_ok=True)
    match = _RESULT.search(out.stdout)
    if not match:
        raise RuntimeError(f"wrk failed: {out.stdout}\n{out.stderr}")
    f = {k: int(v) for k, v in (kv.split("=") for kv in match.group(1).split())}
    if f["exhausted"]:
        raise RuntimeError(f"wrk sent every one-time request before {duration:.0f}s were up: give it more")
    seconds = f["duration_us"] / 1e6
    return LoadResult(requests=f["requests"], seconds=seconds, rps=f["requests"] / seconds,
                      p50_ms=f["p50_us"] / 1000, p90_ms=f["p90_us"] / 1000, p99_ms=f["p99_us"] / 1000,
                      max_ms=f["max_us"] / 1000, non_2xx=f["non2xx"],
                      socket_errors=f["connect"] + f["read"] + f["write"] + f["timeout"], generator="wrk")


def _python_worker(args: tuple[int, list[Req], int, float, str, int]) -> tuple[list[float], int, int]:
    port, requests, conns, duration, order, seed = args
    latencies: list[float] = []
    counts = {"bad": 0, "errors": 0}
    lock = threading.Lock()
    deadline = time.monotonic() + duration

    def one(n: int) -> None:
        rng = random.Random(seed * 1000 + n)
        i = rng.randrange(len(requests))
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        mine: list[float] = []
        bad = errors = 0
        while time.monotonic() < deadline:
            r = requests[i % len(requests)] if order == "cycle" else requests[rng.randrange(len(requests))]
            i += 1
            started = time.perf_counter()
            try:
                conn.request(r.method, r.path, body=r.body.encode() if r.body else None, headers=r.headers)
                resp = conn.getresponse()
                resp.read()
                if not 200 <= resp.status < 400:
                    bad += 1
            except (OSError, http.client.HTTPException):
                errors += 1
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            mine.append(time.perf_counter() - started)
        with lock:
            latencies.extend(mine)
            counts["bad"] += bad
            counts["errors"] += errors

    pool = [threading.Thread(target=one, args=(n,)) for n in range(conns)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return latencies, counts["bad"], counts["errors"]


def _python_load(port: int, requests: list[Req], connections: int, duration: float, threads: int,
                 order: str) -> LoadResult:
    procs = max(1, threads)
    per = [connections // procs + (1 if i < connections % procs else 0) for i in range(procs)]
    started = time.monotonic()
    with multiprocessing.get_context("fork").Pool(procs) as pool:
        parts = pool.map(_python_worker, [(port, requests, c, duration, order, i) for i, c in enumerate(per) if c])
    seconds = time.monotonic() - started
    latencies = sorted(x for part in parts for x in part[0])

    def pct(p: float) -> float:
        return latencies[min(len(latencies) - 1, int(len(latencies) * p / 100))] * 1000 if latencies else 0.0

    return LoadResult(requests=len(latencies), seconds=seconds, rps=len(latencies) / seconds, p50_ms=pct(50),
                      p90_ms=pct(90), p99_ms=pct(99), max_ms=latencies[-1] * 1000 if latencies else 0.0,
                      non_2xx=sum(p[1] for p in parts), socket_errors=sum(p[2] for p in parts), generator="python")


# --- results -------------------------------------------------------------------------------------------

def write_results(name: str, figures: dict[str, Any]) -> Path:
    """``bench/results/<UTC time>-<name>.json``; returns the path."""
    RESULTS.mkdir(exist_ok=True)
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    path = RESULTS / f"{stamp}-{name}.json"
    payload = {"benchmark": name, "at": stamp, "host": {"cores": os.cpu_count(), "python": sys.version.split()[0]},
               "figures": figures}
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    return path
