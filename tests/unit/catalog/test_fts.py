"""catalog.fts: install/uninstall are idempotent and index rows that existed before (a migration)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import inspect, text

from marketplace.catalog import fts
from marketplace.catalog.services import fts5_match_expression, search_terms
from marketplace.cli import alembic_config
from marketplace import models
from marketplace.db import make_engine
from marketplace.listings.models import Listing
from tests.conftest import empty_database


@pytest.fixture
def fresh_url(backend: str, tmp_path, request) -> Iterator[str]:
    with empty_database(backend, tmp_path, request.config) as url:
        yield url


def _structures(engine) -> set[str]:
    insp = inspect(engine)
    names = {t for t in insp.get_table_names() if t.startswith(fts.FTS_TABLE)}
    names |= {i["name"] for i in insp.get_indexes("listings") if i["name"] in (fts.PG_INDEX, fts.PG_LEGACY_INDEX)}
    names |= {c["name"] for c in insp.get_columns("listings") if c["name"] == fts.PG_COLUMN}
    return names


def _matches(conn, word: str) -> list[int]:
    if conn.dialect.name == "sqlite":
        sql = f"SELECT rowid FROM {fts.FTS_TABLE} WHERE {fts.FTS_TABLE} MATCH :m"
        return list(conn.execute(text(sql), {"m": fts5_match_expression([word])}).scalars())
    sql = f"SELECT id FROM listings WHERE {fts.PG_COLUMN} @@ websearch_to_tsquery('simple', :m)"
    return list(conn.execute(text(sql), {"m": word}).scalars())


def _insert_listing(conn) -> None:
    """Listing 7, "Tas rotan" / "anyaman halus", with its artisan and shop, in plain SQL."""
    conn.execute(text("INSERT INTO users (id, email, name, password_hash, role, is_active, created_at) "
                      "VALUES (1, 'a@x.id', 'A', 'x', 'artisan', true, CURRENT_TIMESTAMP)"))
    conn.execute(text("INSERT INTO shops (id, owner_id, name, slug, description, city, kelurahan, created_at) "
                      "VALUES (1, 1, 'T', 't', '', 'Bekasi', 'Margahayu', CURRENT_TIMESTAMP)"))
    conn.execute(text(
        "INSERT INTO listings (id, shop_id, title, description, category, price_idr, stock, weight_grams, "
        "fulfilment, processing_days, status, created_at, updated_at) VALUES (7, 1, 'Tas rotan', "
        "'anyaman halus', 'anyaman', 1000, 1, 100, 'ready_to_ship', 0, 'approved', "
        "CURRENT_TIMESTAMP, CURRENT_TIMESTAMP)"))


def test_migration_0018_indexes_listings_that_existed_before_it(fresh_url):
    """A database at 0015 (PostgreSQL: the expression index, no stored vector) with a listing in it:
    upgrading to head backfills the vector, swaps the indexes, and search finds the listing."""
    cfg = alembic_config(fresh_url)
    command.upgrade(cfg, "0015_sentra_admin_ops")
    engine = make_engine(fresh_url)
    try:
        with engine.begin() as conn:  # 0001 made the expression index on PostgreSQL (its own copy of the DDL)
            _insert_listing(conn)
        if engine.dialect.name == "postgresql":
            assert _structures(engine) == {fts.PG_LEGACY_INDEX}
        engine.dispose()  # no pooled connection of ours while the migrations rebuild tables (SQLite)
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert _matches(conn, "rotan") == [7] and _matches(conn, "halus") == [7]
            if conn.dialect.name == "postgresql":
                assert _structures(engine) == {fts.PG_COLUMN, fts.PG_INDEX}
    finally:
        engine.dispose()


def test_install_uninstall_round_trip_and_backfill(fresh_url):
    engine = make_engine(fresh_url)
    try:
        models.create_all(engine)  # installs the search structures
        assert _structures(engine)
        with engine.begin() as conn:
            fts.install(conn)  # idempotent
            fts.uninstall(conn)
        assert _structures(engine) == set()
        with engine.begin() as conn:
            fts.uninstall(conn)  # idempotent too
            _insert_listing(conn)
            fts.install(conn)  # a migration on a populated database
        with engine.connect() as conn:
            assert _matches(conn, "rotan") == [7] and _matches(conn, "halus") == [7]
        models.drop_all(engine)  # uninstalls them first
        assert not inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_include_object_hides_search_structures_from_autogenerate():
    assert fts.include_object(None, "listings_fts_data", "table", True, None) is False
    assert fts.include_object(None, "ix_listings_fts", "index", True, None) is False
    assert fts.include_object(None, "ix_listings_search_vector", "index", True, None) is False
    assert fts.include_object(Listing.__table__.c.title, "search_vector", "column", True, None) is False
    assert fts.include_object(Listing.__table__.c.title, "title", "column", True, None) is True
    assert fts.include_object(None, "listings", "table", True, None) is True


@pytest.mark.parametrize("q, terms", [
    ("Tas anyaman!", ["Tas", "anyaman"]),
    ('"batik" OR -tulis*', ["batik", "OR", "tulis"]),
    ("!!! ---", []),
    ("kain_tenun", ["kain", "tenun"]),
    ("Batik Ça va", ["Batik", "Ça", "va"]),
])
def test_search_terms_and_fts5_expression(q, terms):
    assert search_terms(q) == terms
    assert fts5_match_expression(["a", "OR"]) == '"a"* AND "or"*'
