"""Benchmark: the event pipeline, outbox → relay → Kafka → worker (inbox + effect), on a real broker.

Measures, on SQLite and (when ``TEST_DATABASE_URL`` is set) PostgreSQL:

- relay throughput: N committed outbox rows published and stamped (events/s);
- worker throughput: the same N events consumed, each with its inbox row in its own transaction (events/s);
- end-to-end latency of one event with the relay and a worker running (record+commit → handler commit),
  p50/p95 over ``--samples`` events.

A benchmark, not a test: nothing asserts on the numbers. Record runs in bench/README.md.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import func, select, text  # noqa: E402

from events.broker import EmbeddedBroker  # noqa: E402
from events.kafka import relay_producer_factory  # noqa: E402
from events.models import OutboxEvent, ProcessedEvent  # noqa: E402
from events.outbox import record  # noqa: E402
from events.relay import Relay  # noqa: E402
from marketplace import models  # noqa: E402,F401
from marketplace.db import Base, Database, normalise_url  # noqa: E402
from workers.runner import ConsumerRunner  # noqa: E402

EVENT = "listing.submitted"


@contextmanager
def fresh_database(kind: str) -> Iterator[Database]:
    if kind == "sqlite":
        with tempfile.TemporaryDirectory() as tmp:
            db = Database(f"sqlite:///{tmp}/bench.db", writer=True)  # as the relay and workers run
            Base.metadata.create_all(db.engine)
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
        Base.metadata.create_all(db.engine)
        yield db
    finally:
        db.dispose()
        with admin.engine.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def record_events(db: Database, n: int, per_tx: int = 100) -> None:
    done = 0
    while done < n:
        with db.new_session() as session:
            for i in range(done, min(n, done + per_tx)):
                record(session, EVENT, i + 1, {"listing_id": i + 1, "shop_id": 1, "title": f"Batik {i}",
                                                "price_idr": 150_000, "category": "batik"})
            session.commit()
        done = min(n, done + per_tx)


def count(db: Database, stmt: Any) -> int:
    with db.new_session() as session:
        return int(session.scalar(stmt) or 0)


def wait_for(predicate: Any, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("benchmark step did not finish in time")
        time.sleep(0.01)


def run(kind: str, bootstrap: str, n: int, samples: int) -> dict[str, float]:
    topic_group = f"bench-{uuid.uuid4().hex[:6]}"
    with fresh_database(kind) as db:
        record_events(db, n)
        relay = Relay(db.session_factory, relay_producer_factory(bootstrap, ["listings"]), batch_size=500)
        t0 = time.perf_counter()
        while relay.publish_batch():
            pass
        relay_rate = n / (time.perf_counter() - t0)

        processed = select(func.count()).select_from(ProcessedEvent).where(ProcessedEvent.consumer == topic_group)
        runner = ConsumerRunner(
            consumer=topic_group, topics=["listings"], handlers={EVENT: lambda session, env: None},
            session_factory=db.session_factory, bootstrap_servers=bootstrap, session_timeout_ms=6000,
            consumer_overrides={"auto_offset_reset": "earliest"},
        )
        stop = threading.Event()
        worker = threading.Thread(target=runner.run, args=(stop,), daemon=True)
        t0 = time.perf_counter()
        worker.start()
        wait_for(lambda: count(db, processed) >= 1, 60)
        t1 = time.perf_counter()  # group join done: time the steady state from here
        first = count(db, processed)
        wait_for(lambda: count(db, processed) >= n, 300)
        worker_rate = (n - first) / max(time.perf_counter() - t1, 1e-9)
        join_s = t1 - t0

        relay_stop = threading.Event()
        relay_thread = threading.Thread(target=relay.run_forever, args=(relay_stop,), daemon=True)
        relay_thread.start()
        latencies = []
        for i in range(samples):
            target = n + i + 1
            start = time.perf_counter()
            with db.new_session() as session:
                record(session, EVENT, target, {"listing_id": target, "shop_id": 1, "title": "x",
                                                 "price_idr": 1000, "category": "batik"})
                session.commit()
            wait_for(lambda: count(db, processed) >= target, 30)
            latencies.append((time.perf_counter() - start) * 1000)
        relay_stop.set()
        stop.set()
        relay_thread.join(10)
        worker.join(15)
        latencies.sort()
        with db.new_session() as session:
            rows = session.execute(select(OutboxEvent.occurred_at, OutboxEvent.sent_at).where(OutboxEvent.id > n)).all()
        relay_lag = sorted((sent - occurred).total_seconds() * 1000 for occurred, sent in rows if sent is not None)
        unsent = count(db, select(func.count()).select_from(OutboxEvent).where(OutboxEvent.sent_at.is_(None)))
        if unsent or relay_thread.is_alive() or worker.is_alive():
            print(f"  note: {unsent} rows unsent, relay alive={relay_thread.is_alive()}, worker alive={worker.is_alive()}")
            with db.new_session() as session:
                for row in session.scalars(select(OutboxEvent).where(OutboxEvent.sent_at.is_(None)).limit(3)):
                    print("   ", row.id, row.attempts, row.last_error)
        return {
            "relay events/s": relay_rate,
            "worker events/s": worker_rate,
            "group join s": join_s,
            "e2e p50 ms": statistics.median(latencies),
            "e2e p95 ms": latencies[int(0.95 * (len(latencies) - 1))],
            "relay lag p50 ms": statistics.median(relay_lag) if relay_lag else float("nan"),
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000)
    parser.add_argument("--samples", type=int, default=40)
    args = parser.parse_args()
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    for kind in kinds:
        # A broker per database: the topics are the catalogue's, so a shared broker would let one run's
        # worker consume the other run's events.
        with EmbeddedBroker() as broker:
            result = run(kind, broker.bootstrap_servers, args.n, args.samples)
            print(f"{kind:<11} n={args.n}  " + "  ".join(f"{k}: {v:,.1f}" for k, v in result.items()))


if __name__ == "__main__":
    main()
