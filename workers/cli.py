"""``marketplace worker payments|promotion|payouts|notifications``: one consumer group per process."""

from __future__ import annotations

import click

from marketplace.ops import breakers
from marketplace.config import Settings
from workers.subscriptions import WORKERS, declared


@click.command("worker")
@click.argument("name", type=click.Choice(sorted(WORKERS)))
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--session-timeout-ms", default=10_000, show_default=True, type=click.IntRange(1_000, 300_000))
def worker(name: str, max_attempts: int, session_timeout_ms: int) -> None:
    """Consume the worker's topics until stopped (SIGTERM/Ctrl-C finishes the current event first)."""
    from events.cli import configure_logging, require_bootstrap, stop_on_signals
    from marketplace.catalog.changes import CatalogChanges
    from marketplace.db import Database
    from workers.runner import ConsumerRunner, RunnerOptions

    settings = Settings.from_env()
    bootstrap = require_bootstrap(settings)
    configure_logging()
    stop = stop_on_signals()
    with Database(settings.database_url, writer=True, hooks=[CatalogChanges()]) as database:
        assert database.session_factory is not None
        breakers.record_to(database.transaction)  # this process's circuit openings, for /readyz
        # The worker's gateways are built here, once per process, from the settings (ConsumerRunner).
        ConsumerRunner(
            declared(name), settings=settings, session_factory=database.session_factory,
            bootstrap_servers=bootstrap,
            options=RunnerOptions(max_attempts=max_attempts, session_timeout_ms=session_timeout_ms),
        ).run(stop)


def register(main: click.Group) -> None:
    main.add_command(worker)
