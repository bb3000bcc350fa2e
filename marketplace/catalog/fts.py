"""Full-text search DDL for the catalogue, per dialect.

PostgreSQL: a stored generated column ``listings.search_vector`` =
``to_tsvector('simple', title || ' ' || description)`` with the GIN index ``ix_listings_search_vector``
on it. The vector is computed once per write (PostgreSQL recomputes a generated column whenever a row's
title or description changes, so it always follows edits) instead of on every read: the query in
``catalog.services`` matches and ranks (``ts_rank``) the stored column (:func:`pg_document`). An
expression index (``ix_listings_fts``, before migration 0018) found candidates just as fast, but the
heap recheck and ``ts_rank`` recomputed ``to_tsvector`` for every match, ~30 µs a row, which is what
a word search cost at 100,000 listings. The configuration is named (``'simple'``) inside the
expression: ``to_tsvector(regconfig, text)`` is immutable only in that form, as a generated column
needs. ``simple`` (no stemming) because titles mix Indonesian, English and regional words, and an
English or Indonesian stemmer would mangle the other languages' words.

SQLite: an FTS5 external-content table ``listings_fts`` (title, description; rowid = listings.id)
kept in sync by triggers, so no code path can forget to index a listing.

Neither is in the ORM model (``Listing`` never reads or writes the vector; SQLite has no such column):
``install(connection)`` / ``uninstall(connection)`` are idempotent and are called by
``marketplace.models.create_all`` / ``drop_all`` (tests, throwaway benchmark databases); the Alembic
migrations carry their own copies of the DDL of their time. :func:`include_object` keeps autogenerate
from seeing them as drift.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import String, bindparam, func, literal_column
from sqlalchemy.engine import Connection
from sqlalchemy.sql.elements import ColumnElement

from marketplace.db import run_ddl

FTS_TABLE = "listings_fts"
PG_INDEX = "ix_listings_fts"
PG_CONFIG = "simple"

_SQLITE_DDL = (
    f"""CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(
        title, description, content='listings', content_rowid='id',
        tokenize='unicode61 remove_diacritics 2')""",
    f"""CREATE TRIGGER IF NOT EXISTS listings_fts_ai AFTER INSERT ON listings BEGIN
        INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS listings_fts_ad AFTER DELETE ON listings BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    f"""CREATE TRIGGER IF NOT EXISTS listings_fts_au AFTER UPDATE OF title, description ON listings BEGIN
        INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO {FTS_TABLE}(rowid, title, description) VALUES (new.id, new.title, new.description);
    END""",
    # Index rows that existed before the table (a migration on a populated database).
    f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')",
)

_SQLITE_DROP = (
    "DROP TRIGGER IF EXISTS listings_fts_ai",
    "DROP TRIGGER IF EXISTS listings_fts_ad",
    "DROP TRIGGER IF EXISTS listings_fts_au",
    f"DROP TABLE IF EXISTS {FTS_TABLE}",
)

PG_COLUMN = "search_vector"
PG_INDEX = "ix_listings_search_vector"
#: The expression index that served word search before migration 0018 (dropped there, rebuilt by its downgrade).
PG_LEGACY_INDEX = "ix_listings_fts"
PG_DOCUMENT_SQL = f"to_tsvector('{PG_CONFIG}'::regconfig, coalesce(title, '') || ' ' || coalesce(description, ''))"
_PG_DDL = (
    f"DROP INDEX IF EXISTS {PG_LEGACY_INDEX}",
    # A stored generated column is computed for every existing row when it is added: the backfill.
    f"ALTER TABLE listings ADD COLUMN IF NOT EXISTS {PG_COLUMN} tsvector "
    f"GENERATED ALWAYS AS ({PG_DOCUMENT_SQL}) STORED",
    f"CREATE INDEX IF NOT EXISTS {PG_INDEX} ON listings USING gin ({PG_COLUMN})",
)
_PG_DROP = (
    f"DROP INDEX IF EXISTS {PG_INDEX}",
    f"ALTER TABLE listings DROP COLUMN IF EXISTS {PG_COLUMN}",
    f"DROP INDEX IF EXISTS {PG_LEGACY_INDEX}",
)
#: What migration 0018's downgrade puts back: the expression index of migrations 0001–0015.
PG_LEGACY_DDL = (
    f"CREATE INDEX IF NOT EXISTS {PG_LEGACY_INDEX} ON listings USING gin "
    f"(to_tsvector('{PG_CONFIG}', coalesce(title, '') || ' ' || coalesce(description, '')))",
)


def install(connection: Connection) -> None:
    """Create the search structures for this connection's dialect (no-op on others)."""
    run_ddl(connection, {"sqlite": _SQLITE_DDL, "postgresql": _PG_DDL})


def uninstall(connection: Connection) -> None:
    """Drop what :func:`install` created."""
    run_ddl(connection, {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP})


def pg_document() -> ColumnElement[Any]:
    """The stored vector, ``listings.search_vector`` (qualified: the query joins ``shops``)."""
    return literal_column(f"listings.{PG_COLUMN}")


def pg_query(q: str) -> ColumnElement[Any]:
    """``websearch_to_tsquery('simple', :q)``: quotes, ``or`` and ``-word`` work; it never raises on syntax."""
    return func.websearch_to_tsquery(literal_column(f"'{PG_CONFIG}'"), bindparam("fts_q", q, type_=String()))


def pg_expanded_query(tsquery_text: str) -> ColumnElement[Any]:
    """``to_tsquery('simple', :q)`` for a query built from word tokens (``catalog.services.pg_tsquery_text``)."""
    return func.to_tsquery(literal_column(f"'{PG_CONFIG}'"), bindparam("fts_q", tsquery_text, type_=String()))


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic ``include_object`` hook: autogenerate must not see the search structures as drift.

    They are not in ``Base.metadata`` (FTS5 tables, and a PostgreSQL-only generated column and its
    index, are outside what the models declare for both databases), so without this hook every
    autogenerate would propose dropping them.
    """
    if type_ == "table" and name is not None and name.startswith(FTS_TABLE):
        return False
    if type_ == "index" and name in (PG_INDEX, PG_LEGACY_INDEX):
        return False
    if type_ == "column" and name == PG_COLUMN and getattr(getattr(obj, "table", None), "name", None) == "listings":
        return False
    return True
