"""``marketplace worker payments|promotion|payouts|notifications``: one consumer group per process."""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from typing import TYPE_CHECKING, Any

import click

from marketplace.config import Settings

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from workers.runner import ConsumerRunner

# Worker name → the module holding its CONSUMER, TOPICS, HANDLERS and build_dependencies (read it to
# see what it does).
WORKERS = {
    "payments": "workers.payments.handlers",
    "promotion": "workers.promotion.handlers",
    "payouts": "workers.payouts.handlers",
    "notifications": "workers.notifications.handlers",
}


def build_runner(
    name: str, settings: Settings, session_factory: Callable[[], Session], bootstrap_servers: str, **options: Any
) -> ConsumerRunner:
    """The runner of worker ``name``, its gateways built once from ``settings`` by the worker's factory."""
    from workers.runner import ConsumerRunner
    from workers.worker import Worker

    worker = Worker.from_module(import_module(WORKERS[name]))
    return ConsumerRunner.for_worker(
        worker, settings=settings, session_factory=session_factory, bootstrap_servers=bootstrap_servers, **options
    )


@click.command("worker")
@click.argument("name", type=click.Choice(sorted(WORKERS)))
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--session-timeout-ms", default=10_000, show_default=True, type=click.IntRange(1_000, 300_000))
def worker(name: str, max_attempts: int, session_timeout_ms: int) -> None:
    """Consume the worker's topics until stopped (SIGTERM/Ctrl-C finishes the current event first)."""
    from events.cli import configure_logging, require_bootstrap, stop_on_signals
    from marketplace.catalog.changes import CatalogChanges
    from marketplace.db import Database

    settings = Settings.from_env()
    bootstrap = require_bootstrap(settings)
    configure_logging()
    stop = stop_on_signals()
    with Database(settings.database_url, writer=True, hooks=[CatalogChanges()]) as database:
        assert database.session_factory is not None
        build_runner(
            name, settings, database.session_factory, bootstrap,
            max_attempts=max_attempts, session_timeout_ms=session_timeout_ms,
        ).run(stop)


def register(main: click.Group) -> None:
    main.add_command(worker)
