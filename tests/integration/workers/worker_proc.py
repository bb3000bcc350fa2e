"""A worker process for the crash test: ``python -m tests.integration.workers.worker_proc``.

Its handler writes a row to ``test_effects``. With ``CRASH_AFTER_EVENT=<event id>`` it kills itself
with SIGKILL right after that event's transaction committed and before its offset is committed — the
exact window in which at-least-once delivery redelivers an event whose effect already happened.
"""

from __future__ import annotations

import logging
import os
import signal
from typing import Any

from events.cli import stop_on_signals
from marketplace.config import Settings
from marketplace.db import Database
from tests.integration.helpers import write_effect
from workers.runner import ConsumerRunner, RunnerOptions
from workers.worker import Worker


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="worker %(process)d %(levelname)s %(name)s: %(message)s")
    crash_after = os.environ.get("CRASH_AFTER_EVENT")
    consumer = os.environ["CONSUMER"]

    def after_effect(envelope: dict[str, Any]) -> None:
        if envelope["id"] == crash_after:
            logging.getLogger("worker_proc").info("effect of %s committed; SIGKILL before the offset", crash_after)
            os.kill(os.getpid(), signal.SIGKILL)

    stop = stop_on_signals()
    with Database(os.environ["DATABASE_URL"]) as database:
        assert database.session_factory is not None
        ConsumerRunner(
            Worker(consumer, (os.environ["TOPIC"],), {"listing.approved": write_effect(consumer)}),
            session_factory=database.session_factory,
            bootstrap_servers=os.environ["KAFKA_BOOTSTRAP_SERVERS"],
            settings=Settings.from_env(),
            options=RunnerOptions(group_id=os.environ["GROUP"], session_timeout_ms=6_000, poll_timeout_ms=200),
            after_effect=after_effect,
        ).run(stop)


if __name__ == "__main__":
    main()
