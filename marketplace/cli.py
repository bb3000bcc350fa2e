"""The ``marketplace`` command: the parts of the system one at a time, or all of it with ``run``."""

from __future__ import annotations

import sys
from importlib import import_module
from pathlib import Path

import click

from marketplace.config import Settings

MIGRATIONS_DIR = Path(__file__).resolve().parent.parent / "migrations"

# Feature modules that contribute commands: each exposes ``register(cli_group)``. The event pipeline's
# commands are registered apart (in :func:`make_cli`): they are told who consumes what.
COMMAND_MODULES = (
    "marketplace.local.seed",
    "workers.cli",
    "marketplace.local.run",
    "marketplace.orders.scheduler",
    "marketplace.ledger.cli",
    "marketplace.ops.backup_cli",
)


def alembic_config(database_url: str):  # type: ignore[no-untyped-def]
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS_DIR))
    cfg.attributes["database_url"] = database_url
    return cfg


def upgrade_database(database_url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(database_url), revision)


def make_cli() -> click.Group:
    """The ``marketplace`` command group, built afresh: its own commands, then those of each of
    :data:`COMMAND_MODULES` (``register(group)``). Nothing is registered by importing this module."""
    @click.group()
    def cli() -> None:
        """Pasar Kreatif: creative products from Indonesia's kelurahan, sold everywhere."""

    @cli.group()
    def db() -> None:
        """Database schema (Alembic migrations)."""

    @db.command("upgrade")
    @click.option("--revision", default="head", show_default=True)
    def db_upgrade(revision: str) -> None:
        """Apply migrations up to REVISION."""
        settings = Settings.from_env()
        upgrade_database(settings.database_url, revision)
        click.echo(f"database at {revision}")

    @db.command("downgrade")
    @click.argument("revision")
    def db_downgrade(revision: str) -> None:
        """Revert migrations down to REVISION (e.g. ``base``)."""
        from alembic import command

        command.downgrade(alembic_config(Settings.from_env().database_url), revision)
        click.echo(f"database at {revision}")

    @cli.command("create-admin")
    @click.argument("email")
    @click.option("--password", required=True, help="At least 10 characters.")
    @click.option("--name", default="Admin", show_default=True)
    def create_admin(email: str, password: str, name: str) -> None:
        """Create an admin account (or promote an existing one and reset its password)."""
        from marketplace.accounts import services
        from marketplace.catalog.changes import CatalogChanges
        from marketplace.db import Database
        from marketplace.errors import DomainError

        with Database(Settings.from_env().database_url, hooks=[CatalogChanges()]) as database:
            try:
                with database.transaction() as session:
                    user = services.create_admin(session, email=email, password=password, name=name)
            except DomainError as err:
                raise click.ClickException(err.message) from err
        click.echo(f"admin {user.email} ready")

    @cli.command("web")
    @click.option("--host", default="127.0.0.1", show_default=True)
    @click.option("--port", default=8000, show_default=True, type=int)
    @click.option("--workers", type=click.IntRange(1), help="Processes (default: WEB_WORKERS, 2).")
    @click.option("--worker-class", type=click.Choice(["gthread", "sync"]),
                  help="gunicorn worker class (default: WEB_WORKER_CLASS, gthread).")
    @click.option("--threads", type=click.IntRange(1),
                  help="Threads per worker (default: WEB_THREADS, 8); keep it above IMAGE_WORKERS + IMAGE_QUEUE.")
    def web(host: str, port: int, workers: int | None, worker_class: str | None, threads: int | None) -> None:
        """Serve the storefront under gunicorn (see marketplace.web.server for the worker settings)."""
        import os

        from marketplace.web import server as webserver

        settings = Settings.from_env()
        argv = webserver.gunicorn_argv(settings, host, port, workers=workers, worker_class=worker_class,
                                       threads=threads)
        chosen_class = argv[argv.index("--worker-class") + 1]
        for problem in webserver.check(settings, worker_class=chosen_class, threads=threads or settings.web_threads):
            if chosen_class not in webserver.WORKER_CLASSES:
                raise click.ClickException(problem)
            click.echo(f"warning: {problem}", err=True)
        os.execvp(sys.executable, [*argv, "--access-logfile", "-", "marketplace.web.wsgi:app"])

    from events import cli as events_cli
    from workers.subscriptions import subscriptions

    # Here the event contract meets the workers: ``events`` imports nothing of ``workers``.
    events_cli.register(cli, subscriptions)
    for module in COMMAND_MODULES:
        import_module(module).register(cli)
    return cli


def main(args: list[str] | None = None) -> None:
    """The console script ``marketplace`` (and ``python -m marketplace.cli``, how ``marketplace run``
    starts its children, no PATH needed)."""
    make_cli()(args=args, prog_name="marketplace")


if __name__ == "__main__":
    main()
