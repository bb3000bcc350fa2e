"""Alembic: upgrade from empty, models and migrations agree, downgrade cleanly, upgrade again."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from marketplace import models  # noqa: F401
from marketplace.catalog.fts import include_object
from marketplace.cli import alembic_config
from marketplace.db import Base, make_engine
from tests.conftest import empty_database


@pytest.fixture
def empty_database_url(backend: str, tmp_path, request) -> Iterator[str]:
    with empty_database(backend, tmp_path, request.config) as url:
        yield url


def _tables(url: str) -> set[str]:
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_upgrade_matches_models_and_downgrades_cleanly(empty_database_url):
    cfg = alembic_config(empty_database_url)
    command.upgrade(cfg, "head")
    expected = {t.name for t in Base.metadata.sorted_tables}
    assert expected <= _tables(empty_database_url)

    engine = make_engine(empty_database_url)
    try:
        with engine.connect() as conn:
            ctx = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
            diff = compare_metadata(ctx, Base.metadata)
    finally:
        engine.dispose()
    assert diff == [], f"models and migrations disagree: {diff}"

    command.downgrade(cfg, "base")
    leftover = {t for t in _tables(empty_database_url) if t != "alembic_version" and not t.startswith("listings_fts")}
    assert leftover == set()
    # ...and the search index helpers are gone too.
    assert not any(t.startswith("listings_fts") for t in _tables(empty_database_url))

    command.upgrade(cfg, "head")
    assert expected <= _tables(empty_database_url)
