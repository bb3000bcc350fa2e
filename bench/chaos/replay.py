"""Webhooks delivered twice and out of order: a thread that takes a webhook the sandbox already
delivered and sends the same signed bytes again to a web process, as Stripe's at-least-once delivery
does (a ``payment_intent.payment_failed`` replayed after its order was paid arrives out of order).
Also the harness's own database connection (``application_name`` ``chaos-harness``, spared by the
``pg_terminate`` fault) and that fault itself.
"""

from __future__ import annotations

import random
import threading
import time
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bench.chaos.client import RoundRobin

HARNESS = "chaos-harness"


def harness_engine(database_url: str) -> Engine:
    url = database_url.replace("postgresql://", "postgresql+psycopg://", 1)
    return create_engine(url, connect_args={"application_name": HARNESS}, pool_pre_ping=True)


def terminate_backends(engine: Engine) -> Any:
    """``pg_terminate_backend`` of every connection to the run's database but the harness's: how many."""
    def go() -> int:
        with engine.begin() as conn:
            return int(conn.execute(text(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND application_name <> :me AND backend_type = 'client backend'"),
                {"me": HARNESS}).scalar_one())
    return go


class Replayer:
    def __init__(self, engine: Engine, client: RoundRobin, webhook_secret: str, secret_key: str, seed: int):
        from marketplace.payments.gateways import SandboxGateway

        self.engine, self.client = engine, client
        self.gateway = SandboxGateway(secret_key, webhook_secret)
        self.rng = random.Random(f"chaos-replay-{seed}")
        self.stop = threading.Event()
        self.sent: dict[str, int] = {}
        self.thread = threading.Thread(target=self._run, name="replay", daemon=True)

    def _run(self) -> None:
        while not self.stop.wait(self.rng.uniform(0.5, 2.0)):
            try:
                self.replay_one()
            except Exception as exc:  # noqa: BLE001 - a lost database connection under a fault
                self.sent[f"error {type(exc).__name__}"] = self.sent.get(f"error {type(exc).__name__}", 0) + 1

    def replay_one(self) -> None:
        with self.engine.connect() as conn:
            row = conn.execute(text(
                "SELECT payload, endpoint, event_type FROM sandbox_webhook_deliveries WHERE delivered_at IS NOT NULL "
                "ORDER BY id DESC OFFSET :skip LIMIT 1"), {"skip": self.rng.randrange(20)}).first()
        if row is None:
            return
        payload, endpoint, event_type = row[0].encode(), row[1], row[2]
        if endpoint == "xendit":
            headers, path = self.gateway.sign_callback(), "/webhooks/xendit/payments"
        else:
            headers, path = self.gateway.sign(payload, int(time.time())), "/webhooks/stripe"
        answer = self.client.request("POST", path, body=payload, headers=dict(headers))
        key = f"{event_type} {answer.status}"
        self.sent[key] = self.sent.get(key, 0) + 1
