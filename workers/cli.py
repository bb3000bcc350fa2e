"""``marketplace worker payments|promotion|payouts``: one consumer group per process."""

from __future__ import annotations

from importlib import import_module

import click

from marketplace.config import Settings

# Worker name → the module holding its CONSUMER, TOPICS and HANDLERS (read it to see what it does).
WORKERS = {
    "payments": "workers.payments.handlers",
    "promotion": "workers.promotion.handlers",
    "payouts": "workers.payouts.handlers",
}


@click.command("worker")
@click.argument("name", type=click.Choice(sorted(WORKERS)))
@click.option("--max-attempts", default=3, show_default=True, type=click.IntRange(1, 100))
@click.option("--session-timeout-ms", default=10_000, show_default=True, type=click.IntRange(1_000, 300_000))
def worker(name: str, max_attempts: int, session_timeout_ms: int) -> None:
    """Consume the worker's topics until stopped (SIGTERM/Ctrl-C finishes the current event first)."""
    from events.cli import configure_logging, require_bootstrap, stop_on_signals
    from marketplace.db import Database
    from workers.runner import ConsumerRunner

    settings = Settings.from_env()
    bootstrap = require_bootstrap(settings)
    configure_logging()
    module = import_module(WORKERS[name])
    stop = stop_on_signals()
    with Database(settings.database_url, writer=True) as database:
        assert database.session_factory is not None
        ConsumerRunner(
            consumer=module.CONSUMER,
            topics=module.TOPICS,
            handlers=module.HANDLERS,
            session_factory=database.session_factory,
            bootstrap_servers=bootstrap,
            max_attempts=max_attempts,
            session_timeout_ms=session_timeout_ms,
        ).run(stop)


def register(main: click.Group) -> None:
    main.add_command(worker)
