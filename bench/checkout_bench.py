"""Benchmark: checkouts under gunicorn, and how long a buyer waits from "order placed" to "paid".

On PostgreSQL (``TEST_DATABASE_URL``, a schema of its own, dropped afterwards) or, without it, SQLite,
through the shared harness (``bench/harness.py``: the database, gunicorn, the bare Flask baseline):

1. **Checkout throughput and latency.** Buyers, each with a cart of two products from two shops
   (``--listings`` products over ``--shops`` shops, plenty of stock), call ``POST /api/v1/checkout``
   through gunicorn (2 sync workers, as the storefront runs, unless ``WEB_WORKERS`` /
   ``WEB_WORKER_CLASS`` / ``WEB_THREADS`` say otherwise) over ``--concurrency`` connections.
   Reported: checkouts/s, p50 and p99, and checkouts/s ÷ the bare Flask app's req/s measured just
   before (``harness.load``, same gunicorn). A checkout empties its cart, so every buyer checks out
   exactly once: with wrk installed, wrk runs ``--duration`` s (after a 2 s warm-up) with
   ``bench/lua/requests.lua``'s ``once`` order, each token sent once (enough buyers are seeded:
   :func:`tokens_needed`), as the Oscar peer's basket is driven; without wrk, ``--n`` buyers are
   checked out by this process's client threads, each token handed to one thread.
2. **Order committed → paid, through the sandbox.** With the embedded broker, the relay and the
   payments worker running as processes, ``--samples`` buyers check out one at a time; each polls the
   order until the worker's payment intent is there, pays by QRIS (``sandbox-pay``) and the order is
   ``paid`` (the worker's delivery loop POSTs the sandbox's webhook to ``/webhooks/stripe``).
   Reported: p50/p99 of checkout-response → intent ready, and → paid. ``--skip-paid`` stops after the
   first phase (no broker is started).

``--peer`` also runs the django-oscar peer's basket flow (``bench/oscar_peer.py``) right after phase 1
and prints checkouts/s ÷ Oscar's basket req/s (issue #15's target: ≥ 3). ``bench/basket_bench.py --peer``
runs our basket flow, our checkout and Oscar's basket in one run.

The client runs on the same machine as gunicorn and PostgreSQL, so the first phase also reports the
CPU each checkout cost the gunicorn workers, this client's threads and the whole machine: a client
that takes a large share of the cores is part of what is being measured.

A benchmark, not a test: nothing asserts on the numbers. Record runs in bench/README.md.

    .venv/bin/python bench/checkout_bench.py                     # SQLite
    TEST_DATABASE_URL=postgresql://postgres@127.0.0.1:5432/test .venv/bin/python bench/checkout_bench.py --peer
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from harness import ROOT, Req, bench_database, free_port, load, process, serve, write_results

from marketplace import models  # noqa: E402,F401
from marketplace.db import Database, transaction  # noqa: E402

ADDRESS = {"recipient": "Rina Wulandari", "phone": "081234567890", "line1": "Jl. Melati No. 3",
           "city": "Makassar", "province": "Sulawesi Selatan", "postal_code": "90111"}

#: ``upload_bench.py`` (and older scripts) import these names from here.
database_url = bench_database


def seed_shop(session: Any, s: int, password_hash: str) -> tuple[Any, Any]:
    """Artisan ``s`` and their shop ``toko-<s>`` (flushed: both have ids); the benches' shared seed."""
    from marketplace.accounts.models import User
    from marketplace.shops.models import Shop

    kelurahan = ["Cipayung", "Pamulang Barat", "Serua", "Pondok Benda"]
    owner = User(email=f"artisan{s}@bench.id", name=f"Artisan {s}", password_hash=password_hash, role="artisan")
    session.add(owner)
    session.flush()
    shop = Shop(owner_id=owner.id, name=f"Toko {s}", slug=f"toko-{s}", city="Tangerang Selatan",
                kelurahan=kelurahan[s % len(kelurahan)])
    session.add(shop)
    session.flush()
    return owner, shop


def seed(url: str, *, shops: int, listings: int, buyers: int, variants_and_voucher: bool = False) -> list[str]:
    """Shops with approved listings and buyers with a two-shop cart each; returns the buyers' tokens.

    The buyers, their carts and tokens are written with Core in batches of 1,000 (the rows
    ``cart.add_item`` and ``accounts.issue_token`` write, without their per-row queries): a wrk run
    needs thousands of them, and one at a time that took ~5 ms a buyer.

    ``variants_and_voucher`` (issue #24): every shop's first listing is a shirt in sizes S, M, L, XL (each
    its own price and stock) and every cart's first line is one of its sizes; every cart carries the
    programme's voucher ``BENCH10`` (10 %, at most Rp 50.000, no use limit), so each checkout reserves
    a variant and a voucher use and splits a programme discount over its two shops."""
    import secrets
    from datetime import timedelta

    from sqlalchemy import insert, update

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import ApiToken, User
    from marketplace.cart.models import CartItem
    from marketplace.db import utcnow
    from marketplace.listings.models import Listing, ListingVariant
    from marketplace.vouchers.models import Voucher

    rng = random.Random(7)
    variants_by_shop: dict[int, list[tuple[int, int, int]]] = {}
    voucher_id = None
    db = Database(url, writer=True)
    password_hash = accounts.hash_password("bench password 1")
    by_shop: dict[int, list[tuple[int, int]]] = {}
    with transaction(db.session_factory) as session:
        for s in range(shops):
            _owner, shop = seed_shop(session, s, password_hash)
            for i in range(listings // shops):
                listing = Listing(shop_id=shop.id, title=f"Batik tulis {s}-{i}", description="", category="batik",
                                  price_idr=100_000 + 5_000 * i, stock=1_000_000, weight_grams=300 + 50 * i,
                                  status="approved")
                session.add(listing)
                session.flush()
                by_shop.setdefault(shop.id, []).append((listing.id, listing.price_idr))
            if variants_and_voucher:
                shirt = Listing(shop_id=shop.id, title=f"Kemeja batik {s}", description="", category="fashion",
                                price_idr=150_000, stock=4_000_000, weight_grams=300, status="approved",
                                has_variants=True, price_varies=True)
                session.add(shirt)
                session.flush()
                sizes = [ListingVariant(listing_id=shirt.id, options={"ukuran": size}, price_idr=150_000 + 10_000 * n,
                                        stock=1_000_000, position=n) for n, size in enumerate(("S", "M", "L", "XL"))]
                session.add_all(sizes)
                session.flush()
                variants_by_shop[shop.id] = [(shirt.id, v.id, v.price_idr) for v in sizes]
        if variants_and_voucher:
            voucher = Voucher(code="BENCH10", funded_by="programme", kind="percent", value=10,
                              max_discount_idr=50_000, starts_at=utcnow() - timedelta(days=1),
                              ends_at=utcnow() + timedelta(days=30))
            session.add(voucher)
            session.flush()
            voucher_id = voucher.id
    tokens: list[str] = []
    shop_ids = list(by_shop)
    expires = utcnow() + timedelta(hours=24)
    for start in range(0, buyers, 1000):
        batch = range(start, min(buyers, start + 1000))
        with transaction(db.session_factory) as session:
            conn = session.connection()
            ids = conn.execute(insert(User.__table__).returning(User.__table__.c.id, sort_by_parameter_order=True), [
                {"email": f"buyer{b}@bench.id", "name": f"Buyer {b}", "password_hash": password_hash, "role": "buyer"}
                for b in batch]).scalars().all()
            items, rows = [], []
            for buyer_id in ids:
                for line, (shop_id, quantity) in enumerate(zip(rng.sample(shop_ids, 2), (1, 2))):
                    variant_id = 0
                    if variants_and_voucher and line == 0:
                        listing_id, variant_id, price = rng.choice(variants_by_shop[shop_id])
                    else:
                        listing_id, price = rng.choice(by_shop[shop_id])
                    items.append({"user_id": buyer_id, "listing_id": listing_id, "quantity": quantity,
                                  "seen_price_idr": price, "added_at": utcnow(), "variant_id": variant_id})
                token = "pk_" + secrets.token_urlsafe(32)
                tokens.append(token)
                rows.append({"user_id": buyer_id, "token_hash": accounts._token_hash(token), "expires_at": expires})
            conn.execute(insert(CartItem.__table__), items)
            if variants_and_voucher:
                conn.execute(update(User.__table__).where(User.__table__.c.id.in_(ids)).values(cart_voucher_id=voucher_id))
            conn.execute(insert(ApiToken.__table__), rows)
    db.dispose()
    return tokens


class Client:
    """One keep-alive connection, as one phone's browser would hold."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)

    def call(self, method: str, path: str, token: str, body: Any = None) -> tuple[int, Any]:
        headers = {"Authorization": f"Bearer {token}"}
        payload = None
        if body is not None:
            payload = json.dumps(body)
            headers["Content-Type"] = "application/json"
        self.conn.request(method, path, body=payload, headers=headers)
        resp = self.conn.getresponse()
        data = resp.read()
        return resp.status, (json.loads(data) if data else None)


def pct(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(p / 100 * (len(ordered) - 1))))]


def _cpu_seconds(pids: list[int]) -> float:
    """User + system CPU seconds the processes ``pids`` have used so far (Linux ``/proc``; 0 elsewhere)."""
    total = 0.0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return total


def _machine_busy_seconds() -> float:
    """CPU seconds the whole machine has been busy (all cores; Linux ``/proc/stat``; 0 elsewhere)."""
    try:
        values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    except OSError:
        return 0.0
    idle = values[3] + (values[4] if len(values) > 4 else 0)
    return (sum(values[:8]) - idle) / os.sysconf("SC_CLK_TCK")


def _with_children(pid: int) -> list[int]:
    try:
        children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    except OSError:
        return [pid]
    return [pid, *(int(c) for c in children)]


def bench_checkouts(port: int, tokens: list[str], concurrency: int, server_pid: int | None = None) -> dict[str, Any]:
    queue = list(tokens)
    lock = threading.Lock()
    latencies: list[float] = []
    failures: list[int] = []

    def work() -> None:
        client = Client(port)
        while True:
            with lock:
                if not queue:
                    return
                token = queue.pop()
            t0 = time.perf_counter()
            status, _ = client.call("POST", "/api/v1/checkout", token, {"shipping_address": ADDRESS})
            took = time.perf_counter() - t0
            with lock:
                (latencies if status == 201 else failures).append(took if status == 201 else status)

    threads = [threading.Thread(target=work) for _ in range(concurrency)]
    server = _with_children(server_pid) if server_pid else []
    cpu = (time.process_time(), _cpu_seconds(server), _machine_busy_seconds())
    started = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - started
    client_cpu, server_cpu, busy = (time.process_time() - cpu[0], _cpu_seconds(server) - cpu[1],
                                    _machine_busy_seconds() - cpu[2])
    n = max(1, len(latencies))
    return {
        "checkouts": len(latencies), "failed": len(failures), "per_second": len(latencies) / wall,
        "p50_ms": pct(latencies, 50) * 1000, "p99_ms": pct(latencies, 99) * 1000,
        # CPU per checkout: this client's threads, the gunicorn workers, and the whole machine (which
        # adds PostgreSQL and anything else running); and the client's share of the machine's busy time.
        "client_cpu_ms": client_cpu / n * 1000, "server_cpu_ms": server_cpu / n * 1000,
        "machine_cpu_ms": busy / n * 1000, "client_share": client_cpu / busy if busy else 0.0,
    }


#: Checkouts a second no run of ours comes near: what a wrk run is given tokens for (it refuses to
#: report a run that sent them all before its time was up).
RATE_BOUND = 600
WRK_WARMUP = 2.0


def wrk_available() -> bool:
    return shutil.which("wrk") is not None and not os.environ.get("BENCH_NO_WRK")


def tokens_needed(duration: float) -> int:
    """Buyers (tokens) a wrk checkout run of ``duration`` seconds, warm-up included, is seeded with."""
    return int(RATE_BOUND * (duration + WRK_WARMUP))


def bench_checkouts_wrk(port: int, tokens: list[str], connections: int, duration: float,
                        server_pid: int | None = None) -> dict[str, Any]:
    """The throughput run driven by wrk, as Oscar's basket is (``harness.load``, ``order="once"``: each
    buyer's token is sent once, so every request is a real checkout of a full cart), after a warm-up
    with tokens of its own. Same figures as :func:`bench_checkouts`; the client's CPU is wrk's."""
    body = json.dumps({"shipping_address": ADDRESS})
    requests = [Req("POST", "/api/v1/checkout", {"Authorization": f"Bearer {token}",
                                                 "Content-Type": "application/json"}, body) for token in tokens]
    warm = int(RATE_BOUND * WRK_WARMUP)
    load(port, requests[:warm], connections=connections, duration=WRK_WARMUP, order="once", warmup=0, generator="wrk")
    time.sleep(0.5)
    server = _with_children(server_pid) if server_pid else []
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (children.ru_utime + children.ru_stime, _cpu_seconds(server), _machine_busy_seconds())
    run = load(port, requests[warm:], connections=connections, duration=duration, order="once", warmup=0,
               generator="wrk")
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu, server_cpu, busy = (children.ru_utime + children.ru_stime - cpu[0], _cpu_seconds(server) - cpu[1],
                                    _machine_busy_seconds() - cpu[2])
    n = max(1, run.requests - run.non_2xx)
    return {
        "checkouts": run.requests - run.non_2xx, "failed": run.non_2xx + run.socket_errors,
        "per_second": (run.requests - run.non_2xx) / run.seconds, "p50_ms": run.p50_ms, "p99_ms": run.p99_ms,
        "client_cpu_ms": client_cpu / n * 1000, "server_cpu_ms": server_cpu / n * 1000,
        "machine_cpu_ms": busy / n * 1000, "client_share": client_cpu / busy if busy else 0.0, "generator": "wrk",
    }


def drain(url: str, n: int, timeout: float = 600) -> float:
    """Seconds until ``n`` orders have their payment intent (the relay and worker catching up)."""
    from sqlalchemy import func, select

    from marketplace.payments.models import Payment

    db = Database(url)
    started = time.perf_counter()
    try:
        while time.perf_counter() - started < timeout:
            with db.new_session() as session:
                if (session.scalar(select(func.count(Payment.id))) or 0) >= n:
                    return time.perf_counter() - started
            time.sleep(0.2)
        raise SystemExit(f"the payments worker did not catch up with {n} orders in {timeout:.0f}s")
    finally:
        db.dispose()


def bench_paid_latency(port: int, tokens: list[str]) -> dict[str, Any]:
    to_intent: list[float] = []
    to_paid: list[float] = []
    client = Client(port)
    for token in tokens:
        status, order = client.call("POST", "/api/v1/checkout", token, {"shipping_address": ADDRESS})
        assert status == 201, order
        t0 = time.perf_counter()
        while True:
            _, seen = client.call("GET", f"/api/v1/orders/{order['id']}", token)
            if seen.get("payment"):
                break
            if time.perf_counter() - t0 > 30:
                raise SystemExit("no payment intent after 30 s: is the payments worker running?")
            time.sleep(0.005)
        to_intent.append(time.perf_counter() - t0)
        status, paid = client.call("POST", f"/api/v1/orders/{order['id']}/sandbox-pay", token, {"method": "qris"})
        assert status == 202 and paid["outcome"] == "processing", paid
        while True:  # the payments worker POSTs the sandbox's webhook to /webhooks/stripe, as Stripe would
            _, seen = client.call("GET", f"/api/v1/orders/{order['id']}", token)
            if seen["status"] == "paid":
                break
            if time.perf_counter() - t0 > 30:
                raise SystemExit("not paid after 30 s: is the payments worker delivering the sandbox's webhooks?")
            time.sleep(0.005)
        to_paid.append(time.perf_counter() - t0)
    return {
        "samples": len(to_paid),
        "intent_p50_ms": pct(to_intent, 50) * 1000, "intent_p99_ms": pct(to_intent, 99) * 1000,
        "paid_p50_ms": pct(to_paid, 50) * 1000, "paid_p99_ms": pct(to_paid, 99) * 1000,
    }


def app_env(url: str, port: int, tmp: str) -> dict[str, str]:
    """The web app's, relay's and worker's environment (the sandbox gateway, its webhooks to ``port``)."""
    return {"DATABASE_URL": url, "SECRET_KEY": "bench-secret", "PAYMENT_GATEWAY": "sandbox",
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}", "VAR_DIR": tmp, "SESSION_COOKIE_SECURE": "0",
            "RATELIMIT_STORAGE_URI": "memory://"}


def bare_baseline(duration: float = 5, connections: int = 16) -> Any:
    """The bare Flask app's ``GET /ok`` on the same gunicorn: the figure ours are divided by."""
    with serve("bench.bare_app:app") as (port, _proc):
        return load(port, [Req("GET", "/ok")], connections=connections, duration=duration)


def run_checkout_phase(url: str, tokens: list[str], concurrency: int, tmp: str, kind: str,
                       env_extra: dict[str, str] | None = None, duration: float | None = None) -> dict[str, Any]:
    """Phase 1 on its own gunicorn (used by ``basket_bench.py`` too); prints and returns the figures.

    With ``duration`` and wrk installed, wrk drives it for that long (``tokens``: at least
    :func:`tokens_needed`); else this process's client threads check out every token once."""
    port = free_port()
    with serve("marketplace.web.wsgi:app", port=port, env={**app_env(url, port, tmp), **(env_extra or {})},
               log=Path(tmp) / "web-checkout.log") as (_port, proc):
        if duration and wrk_available():
            checkout = bench_checkouts_wrk(port, tokens, concurrency, duration, proc.pid)
        else:
            checkout = {**bench_checkouts(port, tokens, concurrency, proc.pid), "generator": "python"}
    print(f"[{kind}] checkout: {checkout['checkouts']} in {checkout['checkouts'] / checkout['per_second']:.1f}s "
          f"= {checkout['per_second']:.0f}/s with {concurrency} clients ({checkout['generator']}); "
          f"p50 {checkout['p50_ms']:.0f} ms, p99 {checkout['p99_ms']:.0f} ms; failed {checkout['failed']}", flush=True)
    print(f"[{kind}] CPU per checkout: gunicorn {checkout['server_cpu_ms']:.1f} ms, "
          f"bench client {checkout['client_cpu_ms']:.1f} ms, whole machine {checkout['machine_cpu_ms']:.1f} ms "
          f"(the client is {checkout['client_share']:.0%} of the machine's busy time)", flush=True)
    return checkout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="checkouts in the throughput run without wrk")
    parser.add_argument("--duration", type=float, default=10, help="seconds of the throughput run with wrk")
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--shops", type=int, default=10)
    parser.add_argument("--listings", type=int, default=100)
    parser.add_argument("--samples", type=int, default=50, help="orders in the committed → paid run")
    parser.add_argument("--skip-paid", action="store_true", help="only the throughput run (no broker, relay, worker)")
    parser.add_argument("--peer", action="store_true", help="also run the django-oscar peer's basket flow")
    args = parser.parse_args()

    from events.broker import EmbeddedBroker

    if args.peer:
        import oscar_peer

        oscar_peer.kit_dir()  # fail now, not after the seeding and our rows

    kind = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    figures: dict[str, Any] = {"database": kind, "concurrency": args.concurrency}
    with bench_database() as url, tempfile.TemporaryDirectory() as tmp:
        samples = 0 if args.skip_paid else args.samples
        n = tokens_needed(args.duration) if wrk_available() else args.n
        tokens = seed(url, shops=args.shops, listings=args.listings, buyers=n + samples)
        bare = bare_baseline(connections=args.concurrency)
        figures["bare_flask"] = bare.as_dict()
        print(f"[{kind}] bare Flask GET /ok: {bare.rps:.0f} req/s, p99 {bare.p99_ms:.1f} ms ({bare.generator})", flush=True)
        checkout = run_checkout_phase(url, tokens[:n], args.concurrency, tmp, kind, duration=args.duration)
        checkout["ratio_to_bare"] = checkout["per_second"] / bare.rps
        figures["checkout"] = checkout
        print(f"[{kind}] checkouts/s ÷ bare Flask req/s: {checkout['ratio_to_bare']:.3f}", flush=True)
        if args.peer:
            import oscar_peer

            peer = oscar_peer.basket(log=Path(tmp) / "oscar.log")
            figures["oscar"] = {k: v.as_dict() for k, v in peer.items()}
            figures["checkout"]["ratio_to_oscar_basket"] = checkout["per_second"] / peer["basket"].rps
            print(f"[oscar] bare Django {peer['bare-ok'].rps:.0f} req/s; basket add + view {peer['basket'].rps:.1f} "
                  f"req/s (p99 {peer['basket'].p99_ms:.0f} ms)", flush=True)
            print(f"checkouts/s ÷ Oscar basket req/s: {figures['checkout']['ratio_to_oscar_basket']:.2f} "
                  "(target ≥ 3)", flush=True)
        if not args.skip_paid:
            figures["paid"] = run_paid_phase(url, tokens[n:], checkout["checkouts"], tmp, kind, EmbeddedBroker)
    print(f"results: {write_results('checkout', figures)}")


def run_paid_phase(url: str, tokens: list[str], backlog: int, tmp: str, kind: str, broker_class: Any) -> dict[str, Any]:
    """Phase 2: broker, relay, payments worker and the web app; the backlog's intents, then ``tokens``
    checked out and paid one at a time."""
    broker = broker_class(log_path=f"{tmp}/broker.log")
    broker.start(timeout=30)
    try:
        port = free_port()
        env = {**os.environ, **app_env(url, port, tmp), "KAFKA_BOOTSTRAP_SERVERS": broker.bootstrap_servers,
               "PYTHONPATH": str(ROOT)}
        cli = [sys.executable, "-m", "marketplace.cli"]
        with serve("marketplace.web.wsgi:app", port=port, env=env, log=Path(tmp) / "web-paid.log"), \
                process([*cli, "relay"], env, Path(tmp) / "relay.log"), \
                process([*cli, "worker", "payments"], env, Path(tmp) / "payments.log"):
            drained = drain(url, backlog)  # the throughput run's orders get their intents first
            print(f"[{kind}] backlog: intents for the {backlog} orders above made in {drained:.1f}s "
                  f"({backlog / drained:.0f}/s, relay and payments worker started cold)", flush=True)
            try:
                paid = bench_paid_latency(port, tokens)
            except SystemExit:
                for name in ("relay", "payments"):
                    print(f"--- {name}.log\n" + (Path(tmp) / f"{name}.log").read_text()[-3000:], file=sys.stderr)
                raise
        paid["backlog_seconds"] = drained
        print(f"[{kind}] committed → intent ready: p50 {paid['intent_p50_ms']:.0f} ms, "
              f"p99 {paid['intent_p99_ms']:.0f} ms; → paid: p50 {paid['paid_p50_ms']:.0f} ms, "
              f"p99 {paid['paid_p99_ms']:.0f} ms ({paid['samples']} orders)", flush=True)
        return paid
    finally:
        broker.stop()


if __name__ == "__main__":
    main()
