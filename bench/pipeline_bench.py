"""Benchmark: the event pipeline, outbox → relay → Kafka → worker (inbox + effect), on a real broker.

Measures, on SQLite and (when ``TEST_DATABASE_URL`` is set) PostgreSQL, each with a broker of its own:

- **relay**: ``--n`` committed outbox rows published and stamped (events/s), the relay's own batch size;
- **raw consumption**: the same ``--n`` messages read by a bare kafka-python consumer (same consumer
  settings as the workers', no decoding, no database): the ceiling a worker is compared with;
- **worker**: the same messages consumed by one ``ConsumerRunner`` with a no-op handler (validation,
  inbox row, transaction, offset commits), events/s from its first effect to its last;
- **latency**: with the relay (``run_forever``, its default wake-up and poll) and the worker running,
  ``--samples`` single events, each recorded and committed at a random moment: commit returned →
  the handler's transaction committed (the runner's ``after_effect`` hook), p50 and p99.

``--code DIR`` runs the same measurements against the ``events``/``workers`` code of another checkout
(e.g. ``git archive <commit> | tar -x -C /tmp/before``). ``--compare DIR`` runs both, that tree ("before")
and this one ("after"), one after the other in separate processes, and prints a table of both with the
ratios; ``--json PATH`` writes the figures. The machine may be shared: compare figures of one run only.

A benchmark, not a test: nothing asserts on the numbers. Record runs in bench/README.md.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
EVENT = "listing.submitted"
TOPIC = "listings"


def _code_path() -> Path:
    """``--code DIR`` must be on the path before the project is imported (see ``main``)."""
    if "--code" in sys.argv:
        return Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
    return ROOT


sys.path.insert(0, str(_code_path()))

from sqlalchemy import text  # noqa: E402

from events.broker import EmbeddedBroker  # noqa: E402
from events.kafka import make_consumer, relay_producer_factory  # noqa: E402
from events.outbox import record  # noqa: E402
from events.relay import Relay  # noqa: E402
from marketplace import models  # noqa: E402
from marketplace.config import Settings  # noqa: E402
from marketplace.db import Database, normalise_url  # noqa: E402
from workers.runner import ConsumerRunner, RunnerOptions  # noqa: E402
from workers.worker import Worker  # noqa: E402


@contextmanager
def fresh_database(kind: str) -> Iterator[Database]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db", writer=True)  # as the relay and workers run
            models.create_all(db.engine)
            yield db
            db.dispose()
        return
    base = normalise_url(os.environ["TEST_DATABASE_URL"])
    schema = f"pk_bench_{uuid.uuid4().hex[:8]}"
    admin = Database(base)
    with admin.engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    db = Database(f"{base}?options=-csearch_path%3D{schema}", writer=True)
    try:
        models.create_all(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def data(i: int) -> dict[str, Any]:
    return {"listing_id": i, "shop_id": 1, "title": f"Batik {i}", "price_idr": 150_000, "category": "batik"}


def record_events(db: Database, first: int, n: int, per_tx: int = 100) -> None:
    done = 0
    while done < n:
        with db.new_session() as session:
            for i in range(done, min(n, done + per_tx)):
                record(session, EVENT, first + i, data(first + i))
            session.commit()
        done = min(n, done + per_tx)


def raw_consumption(bootstrap: str, n: int) -> float:
    """Events/s of a bare kafka-python consumer over the topic's ``n`` messages (from its first record)."""
    consumer = make_consumer(bootstrap, f"raw-{uuid.uuid4().hex[:6]}", [TOPIC])
    try:
        got, started, first = 0, None, 0
        deadline = time.monotonic() + 120
        while got < n and time.monotonic() < deadline:
            count = sum(len(records) for records in consumer.poll(timeout_ms=500).values())
            if count and started is None:
                started, first = time.perf_counter(), count
            got += count
        return (got - first) / max(time.perf_counter() - (started or 0), 1e-9)
    finally:
        consumer.close()


class Effects:
    """Counts the worker's committed effects (its ``after_effect`` hook) and times single events."""

    def __init__(self) -> None:
        self.count = 0
        self.first_at: float | None = None
        self.last_at = 0.0
        self.target: int | None = None
        self.reached = threading.Event()
        self.lock = threading.Lock()

    def __call__(self, envelope: dict[str, Any]) -> None:
        now = time.perf_counter()
        with self.lock:
            self.count += 1
            self.first_at = self.first_at or now
            self.last_at = now
            if self.target is not None and self.count >= self.target:
                self.reached.set()

    def wait_for(self, count: int, timeout: float) -> float:
        with self.lock:
            self.target = count
            self.reached.clear()
            if self.count >= count:
                return self.last_at
        if not self.reached.wait(timeout):
            raise TimeoutError(f"the worker applied {self.count} of {count} events in {timeout:.0f}s")
        return self.last_at


def run(kind: str, bootstrap: str, n: int, samples: int) -> dict[str, float]:
    group = f"bench-{uuid.uuid4().hex[:6]}"
    with fresh_database(kind) as db:
        record_events(db, 1, n)
        relay = Relay(db.session_factory, relay_producer_factory(bootstrap, [TOPIC]))  # its own batch size
        relay.publish_batch()  # warm: topics, producer, metadata
        t0 = time.perf_counter()
        published = 0
        while count := relay.publish_batch():
            published += count
        relay_rate = published / (time.perf_counter() - t0)

        raw_rate = raw_consumption(bootstrap, n)

        effects = Effects()
        runner = ConsumerRunner(
            Worker(group, (TOPIC,), {EVENT: lambda ctx, env: None}),
            session_factory=db.session_factory, bootstrap_servers=bootstrap, settings=Settings(testing=True),
            options=RunnerOptions(session_timeout_ms=6000), after_effect=effects,
        )
        stop = threading.Event()
        worker = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        worker.start()
        effects.wait_for(1, 60)
        first_at, first = effects.first_at or 0.0, 1  # group joined: time the steady state from here
        last_at = effects.wait_for(n, 300)
        worker_rate = (n - first) / max(last_at - first_at, 1e-9)

        relay_stop = threading.Event()
        relay_thread = threading.Thread(target=relay.run_forever, args=(relay_stop,), daemon=True)
        relay_thread.start()
        time.sleep(1.0)  # the relay's first idle wait has begun
        rng = random.Random(15)
        latencies = []
        for i in range(samples):
            time.sleep(rng.uniform(0.02, 0.15))  # not in step with any poll
            with db.new_session() as session:
                record(session, EVENT, n + i + 1, data(n + i + 1))
                session.commit()
            committed = time.perf_counter()
            latencies.append((effects.wait_for(n + i + 1, 30) - committed) * 1000)
        relay_stop.set()
        stop.set()
        relay_thread.join(15)
        worker.join(20)
        latencies.sort()
        return {
            "relay_events_per_s": relay_rate,
            "raw_consume_events_per_s": raw_rate,
            "worker_events_per_s": worker_rate,
            "worker_vs_raw": worker_rate / raw_rate,
            "latency_p50_ms": statistics.median(latencies),
            "latency_p99_ms": latencies[min(len(latencies) - 1, round(0.99 * (len(latencies) - 1)))],
            "latency_max_ms": latencies[-1],
        }


def measure(n: int, samples: int) -> dict[str, dict[str, float]]:
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    results = {}
    for kind in kinds:
        # A broker per database: the topics are the catalogue's, so a shared broker would let one run's
        # worker consume the other run's events.
        with EmbeddedBroker() as broker:
            results[kind] = run(kind, broker.bootstrap_servers, n, samples)
        print(f"{kind:<11} n={n}  " + "  ".join(f"{k}: {v:,.2f}" for k, v in results[kind].items()), flush=True)
    return results


LABELS = {
    "relay_events_per_s": "relay events/s",
    "raw_consume_events_per_s": "raw kafka-python events/s",
    "worker_events_per_s": "worker events/s",
    "worker_vs_raw": "worker / raw",
    "latency_p50_ms": "latency p50 ms",
    "latency_p99_ms": "latency p99 ms",
    "latency_max_ms": "latency max ms",
}


def table(before: dict[str, dict[str, float]], after: dict[str, dict[str, float]]) -> str:
    lines = ["| database | figure | before | after | after / before |", "|---|---|---:|---:|---:|"]
    for kind in after:
        for key, label in LABELS.items():
            b, a = before.get(kind, {}).get(key), after[kind][key]
            ratio = f"{a / b:.2f}" if b else "—"
            fmt = "{:,.2f}" if key == "worker_vs_raw" else "{:,.0f}"
            shown = fmt.format(b) if b is not None else "—"
            lines.append(f"| {kind} | {label} | {shown} | {fmt.format(a)} | {ratio} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=3000)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--code", type=Path, default=None, help="measure this checkout's events/workers code")
    parser.add_argument("--compare", type=Path, default=None,
                        help="a checkout of the code before: measure it, then this tree, and print the ratios")
    parser.add_argument("--json", type=Path, default=None, help="write the figures here as JSON")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    if args.compare is None:
        label = str(args.code) if args.code else "this tree"
        print(f"pipeline benchmark: {label}, load average {load_before:.1f}", flush=True)
        results: dict[str, Any] = {"code": label, "n": args.n, "samples": args.samples,
                                   "results": measure(args.n, args.samples)}
    else:
        runs: dict[str, Any] = {}
        for name, code in (("before", args.compare.resolve()), ("after", ROOT)):
            with tempfile.NamedTemporaryFile(suffix=".json") as out:
                argv = [sys.executable, __file__, "--n", str(args.n), "--samples", str(args.samples),
                        "--code", str(code), "--json", out.name]
                print(f"=== {name}: {code}", flush=True)
                subprocess.run(argv, check=True, cwd=ROOT)  # noqa: S603 - this script, fixed arguments
                runs[name] = json.loads(Path(out.name).read_text())["results"]
        print()
        print(table(runs["before"], runs["after"]))
        results = {"n": args.n, "samples": args.samples, "before_code": str(args.compare), **runs}
    results["load_average"] = [load_before, os.getloadavg()[0]]
    print(f"load average (1 min) at start / end: {load_before:.1f} / {os.getloadavg()[0]:.1f}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps({"benchmark": "pipeline", **results}, indent=2))
    elif args.code is None:  # a run of its own (not one half of --compare): into bench/results/
        sys.path.insert(0, str(ROOT))
        from bench.harness import write_results

        print(f"results: {write_results('pipeline', results)}")


if __name__ == "__main__":
    main()
