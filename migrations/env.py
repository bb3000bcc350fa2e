"""Alembic environment: the URL comes from ``marketplace``'s settings (or the caller), never a .ini."""

from __future__ import annotations

from contextlib import contextmanager

from alembic import context

from marketplace import models  # noqa: F401 - fills Base.metadata
from marketplace.catalog.fts import include_object
from marketplace.config import Settings
from marketplace.db import Base, make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    return config.attributes.get("database_url") or Settings.from_env().database_url


def run_migrations_offline() -> None:
    context.configure(
        url=_url(), target_metadata=target_metadata, literal_binds=True, render_as_batch=True,
        include_object=include_object,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url())
    with engine.connect() as conn:
        _run(conn)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    is_pg = connection.dialect.name == "postgresql"
    if connection.dialect.name == "sqlite":
        with _sqlite_foreign_keys_off(connection):
            _migrate(connection, is_pg)
        return
    _migrate(connection, is_pg)


@contextmanager
def _sqlite_foreign_keys_off(connection):  # type: ignore[no-untyped-def]
    """SQLite changes a column by rebuilding the table (``batch_alter_table``: copy, DROP, rename).
    With foreign keys on, that DROP TABLE is an implicit DELETE that fires every ``ON DELETE
    CASCADE``: rebuilding ``shops`` would delete every listing. So they are off while migrating
    (``PRAGMA foreign_keys`` only takes effect outside a transaction: set on the raw connection before
    the migration's transaction begins), the result is checked with ``foreign_key_check``, and they
    are on again after."""
    raw = connection.connection.dbapi_connection
    raw.execute("PRAGMA foreign_keys=OFF")
    try:
        yield
        broken = raw.execute("PRAGMA foreign_key_check").fetchall()
        if broken:
            raise RuntimeError(f"migration left rows without their parent: {broken[:5]}")
    finally:
        raw.execute("PRAGMA foreign_keys=ON")


def _migrate(connection, is_pg: bool) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        include_object=include_object,
        transaction_per_migration=False,
    )
    with context.begin_transaction():
        if is_pg:
            # Fail fast instead of queueing behind a long transaction on a live database.
            connection.exec_driver_sql("SET LOCAL lock_timeout = '10s'")
            connection.exec_driver_sql("SET LOCAL statement_timeout = '300s'")
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
