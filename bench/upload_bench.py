"""Benchmark: six maximum-size photo uploads at once, and whether the catalogue keeps answering (issue #9).

Starts gunicorn exactly as ``marketplace run`` does (the command is taken from
``marketplace.local.run.child_specs`` of the code under test), on SQLite like the local run or on
PostgreSQL (``TEST_DATABASE_URL``, a schema of its own), with an approved catalogue of ``--listings``
products. Then:

1. **Catalogue alone.** One reader calls ``GET /api/v1/listings`` (alternating a few searches) for
   ``--idle-seconds``: the baseline p50/p99.
2. **Catalogue under uploads.** ``--uploaders`` artisans (default 6) each upload ``--rounds`` photos of
   the chosen ``--image`` at once (``POST /api/v1/listings/<id>/images``; a 503 is retried after its
   ``Retry-After``, as a phone would), while the reader goes on and a second reader polls
   ``/healthz``. Reported: catalogue and healthz p50/p99/max, upload statuses and latencies, the
   gunicorn workers' CPU per upload and their peak resident memory (``VmHWM``).
3. **One upload, alone.** ``process_upload`` of the same file in a fresh process: its CPU time and the
   growth of that process's peak RSS (``ru_maxrss``) — what one upload costs, without the server.

``--code DIR`` runs all of it against another checkout of the project (e.g. ``git worktree add
/tmp/before <commit>``), for before/after figures on the same machine, in the same minute. The images:
``bomb`` is the issue's file (6300 × 6300 PNG of one colour, ~130 KB, 39.7 MP); ``jpeg50`` a 50 MP
(8160 × 6120) photo-like JPEG of ~5.5 MB, the most a phone photo costs; ``jpeg40`` the same at 39.9 MP
(7296 × 5472), under the old 40 MP cap too; ``pngmax`` the largest RGB PNG the bounded code still decodes
(5170 × 5170, 26.7 MP: just under ``MAX_IMAGE_DECODE_MB`` = 128).

A benchmark, not a test: nothing asserts on the numbers. Record runs in bench/README.md.

    .venv/bin/python bench/upload_bench.py --image jpeg50
    .venv/bin/python bench/upload_bench.py --image bomb --code /tmp/before
"""

from __future__ import annotations

import argparse
import http.client
import io
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from checkout_bench import _cpu_seconds, _with_children, database_url, pct, seed_shop  # noqa: E402
from harness import free_port, process, wait_http  # noqa: E402

from marketplace import models  # noqa: E402,F401
from marketplace.db import Database, transaction  # noqa: E402

SEARCHES = ["/api/v1/listings", "/api/v1/listings?q=batik", "/api/v1/listings?category=batik&sort=price_asc",
            "/api/v1/listings?kelurahan=Cipayung&page=2"]
MAX_IMAGE_BYTES = 8 * 1024 * 1024


def make_image(kind: str) -> bytes:
    from PIL import Image, ImageChops

    out = io.BytesIO()
    if kind == "bomb":
        Image.new("RGB", (6300, 6300), (200, 120, 40)).save(out, format="PNG", optimize=True)
    elif kind == "pngmax":
        Image.linear_gradient("L").resize((5170, 5170)).convert("RGB").save(out, format="PNG")
    elif kind in ("jpeg50", "jpeg40"):
        width, height = (8160, 6120) if kind == "jpeg50" else (7296, 5472)
        base = Image.linear_gradient("L").resize((width, height))
        noise = Image.effect_noise((width // 2, height // 2), 10).resize((width, height))
        Image.merge("RGB", (ImageChops.add(base, noise, offset=-64), base, noise)).save(out, format="JPEG", quality=85)
    else:
        raise SystemExit(f"unknown image {kind!r}")
    data = out.getvalue()
    if len(data) > MAX_IMAGE_BYTES:
        raise SystemExit(f"{kind}: {len(data)} bytes, over MAX_IMAGE_BYTES")
    return data


def seed(url: str, *, listings: int, uploaders: int, rounds: int) -> list[tuple[str, list[int]]]:
    """An approved catalogue, and ``uploaders`` artisans with room for ``rounds`` photos each."""
    from marketplace.accounts import services as accounts
    from marketplace.listings.models import MAX_IMAGES_PER_LISTING, Listing

    db = Database(url, writer=True)
    password_hash = accounts.hash_password("bench password 1")
    categories = ["batik", "anyaman", "keramik", "tenun"]
    people: list[tuple[str, list[int]]] = []
    with transaction(db.session_factory) as session:
        shops = 10 + uploaders
        for s in range(shops):
            owner, shop = seed_shop(session, s, password_hash)
            if s < 10:
                for i in range(listings // 10):
                    session.add(Listing(shop_id=shop.id, title=f"Batik tulis {s}-{i}", description="Pewarna alam",
                                        category=categories[i % 4], price_idr=100_000 + 5_000 * i, stock=10,
                                        weight_grams=300, status="approved"))
                continue
            own = []
            for _ in range((rounds + 1) // MAX_IMAGES_PER_LISTING + 1):
                listing = Listing(shop_id=shop.id, title=f"Foto {s}", description="", category="batik",
                                  price_idr=150_000, stock=1, weight_grams=300, status="pending_review")
                session.add(listing)
                session.flush()
                own.append(listing.id)
            people.append((accounts.issue_token(session, owner, 24)[0], own))
    db.dispose()
    return people


def multipart(data: bytes, name: str) -> tuple[bytes, str]:
    boundary = uuid.uuid4().hex
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{name}\"\r\n"
            "Content-Type: application/octet-stream\r\n\r\n").encode() + data + f"\r\n--{boundary}--\r\n".encode()
    return body, f"multipart/form-data; boundary={boundary}"


class Reader(threading.Thread):
    """GETs ``paths`` in turn on one keep-alive connection until stopped; records each latency."""

    def __init__(self, port: int, paths: list[str], pause: float = 0.0):
        super().__init__(daemon=True)
        self.port, self.paths, self.pause = port, paths, pause
        self.latencies: list[float] = []
        self.errors: list[Any] = []
        self.halt = threading.Event()

    def run(self) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        i = 0
        while not self.halt.is_set():
            t0 = time.perf_counter()
            try:
                conn.request("GET", self.paths[i % len(self.paths)])
                resp = conn.getresponse()
                resp.read()
                (self.latencies if resp.status == 200 else self.errors).append(
                    time.perf_counter() - t0 if resp.status == 200 else resp.status)
            except OSError as exc:
                self.errors.append(repr(exc))
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            i += 1
            if self.pause:
                self.halt.wait(self.pause)

    def summary(self) -> dict[str, Any]:
        values = self.latencies or [0.0]
        return {"n": len(self.latencies), "errors": len(self.errors), "p50_ms": pct(values, 50) * 1000,
                "p99_ms": pct(values, 99) * 1000, "max_ms": max(values) * 1000}


def upload_loop(port: int, token: str, listing_ids: list[int], data: bytes, name: str, rounds: int,
                out: list[tuple[int, float]], retries: list[int]) -> None:
    """``rounds`` uploads, one connection each (as many phones would); a 503 is retried after its Retry-After."""
    for r in range(rounds):
        listing_id = listing_ids[(r + 1) // 8]  # the warm-up photo took the first place
        t0 = time.perf_counter()
        while True:
            body, content_type = multipart(data, name)
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=120)
            try:
                conn.request("POST", f"/api/v1/listings/{listing_id}/images", body=body,
                             headers={"Authorization": f"Bearer {token}", "Content-Type": content_type})
                resp = conn.getresponse()
                resp.read()
                status, retry_after = resp.status, float(resp.getheader("Retry-After") or 1)
            except (OSError, http.client.HTTPException):
                status, retry_after = -1, 1.0  # the connection failed: counted, and tried again
            finally:
                conn.close()
            if status not in (503, -1):
                break
            retries.append(status)
            time.sleep(retry_after)
        out.append((status, time.perf_counter() - t0))


def warm_up(port: int, people: list[tuple[str, list[int]]]) -> None:
    """A small photo from each uploader and some searches, so both workers have loaded what they use."""
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 80, 40)).save(out, format="JPEG")
    threads = [threading.Thread(target=upload_loop, args=(port, token, own, out.getvalue(), "warm.jpg", 1, [], []))
               for token, own in people]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    reader = Reader(port, SEARCHES)
    reader.start()
    time.sleep(1.0)
    reader.halt.set()
    reader.join()


def peak_rss_mb(pids: list[int]) -> list[float]:
    peaks = []
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        except OSError:
            continue
    return peaks


ALONE = """
import sys, time
from marketplace.media import images

def hwm():  # this process's peak RSS in KB (ru_maxrss would carry the bench's own peak across fork/exec)
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM:"))

data = open(sys.argv[1], "rb").read()
before = hwm()
t0 = time.process_time()
try:
    result = images.process_upload(data, max_bytes=8 * 1024 * 1024)
    outcome = f"stored {result.full.width}x{result.full.height}"
except Exception as exc:
    outcome = f"refused: {type(exc).__name__}: {exc}"
cpu = time.process_time() - t0
grew = (hwm() - before) / 1024
print(f"{cpu * 1000:.0f} ms CPU, peak RSS +{grew:.0f} MB ({outcome})")
"""


def web_command(code: Path, port: int, var_dir: Path) -> list[str]:
    """gunicorn's command line as ``marketplace run`` of the code under test builds it."""
    script = ("import json, sys; from pathlib import Path; from marketplace.local.run import child_specs\n"
              f"print(json.dumps(next(s.argv for s in child_specs('127.0.0.1', {port}, Path({str(var_dir)!r}))"
              " if s.name == 'web')))")
    out = subprocess.run([sys.executable, "-c", script], cwd=code,  # noqa: S603
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--image", choices=["bomb", "jpeg50", "jpeg40", "pngmax"], default="jpeg50")
    parser.add_argument("--uploaders", type=int, default=6)
    parser.add_argument("--rounds", type=int, default=3, help="uploads per uploader")
    parser.add_argument("--listings", type=int, default=500)
    parser.add_argument("--idle-seconds", type=float, default=5.0)
    parser.add_argument("--code", type=Path, default=ROOT,
                        help="the checkout of the project to run (default: this one)")
    args = parser.parse_args()
    code = args.code.resolve()

    kind = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    label = f"{kind}, {args.image}, {'this tree' if code == ROOT else code}"
    data = make_image(args.image)
    name = "photo.jpg" if args.image.startswith("jpeg") else "photo.png"
    with database_url() as url, tempfile.TemporaryDirectory() as tmp:
        image_path = Path(tmp) / name
        image_path.write_bytes(data)
        people = seed(url, listings=args.listings, uploaders=args.uploaders, rounds=args.rounds)
        port = free_port()
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": "bench-secret", "VAR_DIR": tmp,
               "MEDIA_ROOT": f"{tmp}/media", "SESSION_COOKIE_SECURE": "0", "RATELIMIT_STORAGE_URI": "memory://",
               "PYTHONPATH": str(code)}
        web = web_command(code, port, Path(tmp))
        print(f"[{label}] {len(data) / 1024:.0f} KB image; gunicorn: {' '.join(web[3:])}", flush=True)
        with process(web, env, Path(tmp) / "web.log", code) as server:  # the code under test first on the path
            wait_http(port)
            warm_up(port, people)
            reader = Reader(port, SEARCHES)
            reader.start()
            time.sleep(args.idle_seconds)
            reader.halt.set()
            reader.join()
            idle = reader.summary()
            print(f"[{label}] catalogue alone: p50 {idle['p50_ms']:.0f} ms, p99 {idle['p99_ms']:.0f} ms "
                  f"({idle['n']} requests)", flush=True)

            workers = _with_children(server.pid)
            cpu0 = _cpu_seconds(workers)
            reader, health = Reader(port, SEARCHES), Reader(port, ["/healthz"], pause=0.05)
            reader.start()
            health.start()
            results: list[tuple[int, float]] = []
            retries: list[int] = []
            uploaders = [threading.Thread(target=upload_loop, args=(port, token, own, data, name, args.rounds,
                                                                    results, retries)) for token, own in people]
            started = time.perf_counter()
            for t in uploaders:
                t.start()
            for t in uploaders:
                t.join()
            wall = time.perf_counter() - started
            for r in (reader, health):
                r.halt.set()
                r.join()
            cpu = _cpu_seconds(workers) - cpu0
            busy, hz = reader.summary(), health.summary()
            statuses: dict[int, int] = {}
            for status, _ in results:
                statuses[status] = statuses.get(status, 0) + 1
            took = [t for _, t in results] or [0.0]
            print(f"[{label}] {len(results)} uploads by {args.uploaders} at once in {wall:.1f}s: statuses {statuses}, "
                  f"retried after 503 {retries.count(503)}, after a failed connection {retries.count(-1)}; "
                  f"upload p50 {pct(took, 50):.2f}s, max {max(took):.2f}s", flush=True)
            print(f"[{label}] catalogue during uploads: p50 {busy['p50_ms']:.0f} ms, p99 {busy['p99_ms']:.0f} ms, "
                  f"max {busy['max_ms']:.0f} ms ({busy['n']} requests, {busy['errors']} errors); "
                  f"/healthz p99 {hz['p99_ms']:.0f} ms, max {hz['max_ms']:.0f} ms", flush=True)
            print(f"[{label}] gunicorn workers: {cpu / max(1, len(results)) * 1000:.0f} ms CPU per upload "
                  f"(readers included), peak RSS {', '.join(f'{m:.0f}' for m in peak_rss_mb(workers[1:]))} MB",
                  flush=True)
        alone = subprocess.run([sys.executable, "-c", ALONE, str(image_path)], cwd=code, env=env,  # noqa: S603
                               capture_output=True, text=True)
        print(f"[{label}] one upload alone: {(alone.stdout or alone.stderr).strip().splitlines()[-1]}", flush=True)


if __name__ == "__main__":
    main()
