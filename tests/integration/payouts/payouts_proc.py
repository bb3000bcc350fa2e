"""The real payouts worker in a process of its own, for the crash test:
``python -m tests.integration.payouts.payouts_proc``.

It is ``marketplace worker payouts`` (the real handlers and the sandbox provider built from settings)
reading ``TOPIC`` instead of the usual topics. With ``KILL_AFTER_TRANSFER=1`` the provider is wrapped so
that the process SIGKILLs itself right after the sandbox recorded a transfer and before the handler's
transaction commits: the window in which a careless worker pays twice.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import signal
from importlib import import_module
from typing import Any

from events.cli import stop_on_signals
from marketplace.config import Settings
from marketplace.db import Database
from workers.runner import ConsumerRunner, RunnerOptions
from workers.worker import Worker


class KillAfterTransfer:
    """The real provider; the process dies the moment its transfer call returns."""

    def __init__(self, inner: Any):
        self.inner = inner
        self.name = inner.name

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def transfer(self, **kwargs: Any) -> Any:
        result = self.inner.transfer(**kwargs)
        logging.getLogger("payouts_proc").info("transfer %s done; SIGKILL before the commit", result.transfer_id)
        os.kill(os.getpid(), signal.SIGKILL)
        return result  # pragma: no cover - never reached


def main() -> None:
    logging.basicConfig(level=logging.INFO, format="payouts %(process)d %(levelname)s %(name)s: %(message)s")
    settings = Settings.from_env()
    real = Worker.from_module(import_module("workers.payouts.handlers"))

    def dependencies(s: Settings) -> dict[str, Any]:
        deps = dict(real.build_dependencies(s))
        if os.environ.get("KILL_AFTER_TRANSFER") == "1":
            deps["payout_provider"] = KillAfterTransfer(deps["payout_provider"])
        return deps

    worker = dataclasses.replace(real, topics=(os.environ["TOPIC"],), build_dependencies=dependencies)
    stop = stop_on_signals()
    with Database(settings.database_url, writer=True) as database:
        assert database.session_factory is not None
        ConsumerRunner(
            worker, settings=settings, session_factory=database.session_factory,
            bootstrap_servers=settings.kafka_bootstrap_servers,
            options=RunnerOptions(group_id=os.environ["GROUP"], session_timeout_ms=6_000, poll_timeout_ms=200,
                                  retry_backoff=0.05, retry_backoff_max=0.2),
        ).run(stop)


if __name__ == "__main__":
    main()
