"""Alembic: upgrade from empty, models and migrations agree, downgrade cleanly, upgrade again."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

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


#: What a migration must never import: application code that can change after the migration was written
#: (an old revision would then build a different schema from the one it built when it ran).
APPLICATION_PACKAGES = ("marketplace", "events", "workers")
VERSIONS = Path(__file__).resolve().parents[2] / "migrations" / "versions"


def _imported_modules(path: Path) -> list[str]:
    """Every module a file imports, at any level (function bodies included)."""
    names: list[str] = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


def test_no_migration_imports_application_code():
    revisions = sorted(VERSIONS.glob("*.py"))
    assert revisions, f"no migrations found in {VERSIONS}"
    offending = {
        path.name: name
        for path in revisions
        for name in _imported_modules(path)
        if name.split(".")[0] in APPLICATION_PACKAGES
    }
    assert offending == {}, f"migrations import application code (copy the DDL into the migration): {offending}"


def test_the_check_sees_imports_at_any_level(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import sqlalchemy as sa\n\ndef upgrade():\n    from marketplace.catalog import fts\n"
                      "    import events.outbox\n", encoding="utf-8")
    assert _imported_modules(sample) == ["sqlalchemy", "marketplace.catalog", "events.outbox"]
