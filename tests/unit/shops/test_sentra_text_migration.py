"""Migration 0017: the free-text ``shops.sentra`` is dropped only after the shops whose text names a
sentra of their own kelurahan are put in it; the downgrade gives the text back from the relation."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timezone

import pytest
from alembic import command
from sqlalchemy import Boolean, Column, DateTime, Integer, String, inspect, select, table

from marketplace.cli import alembic_config
from marketplace.db import make_engine
from tests.conftest import empty_database

NOW = datetime(2026, 1, 5, 3, 0, tzinfo=timezone.utc)
users = table("users", Column("id", Integer), Column("email", String), Column("name", String),
              Column("password_hash", String), Column("role", String), Column("is_active", Boolean),
              Column("created_at", DateTime(timezone=True)))
shops = table("shops", Column("id", Integer), Column("owner_id", Integer), Column("name", String),
              Column("slug", String), Column("description", String), Column("city", String),
              Column("kelurahan", String), Column("sentra", String), Column("sentra_id", Integer),
              Column("suspended_at", DateTime(timezone=True)), Column("created_at", DateTime(timezone=True)))
sentra = table("sentra", Column("id", Integer), Column("name", String), Column("slug", String),
               Column("city", String), Column("kelurahan", String), Column("focus", String),
               Column("story", String), Column("created_at", DateTime(timezone=True)),
               Column("updated_at", DateTime(timezone=True)))


@pytest.fixture
def blank_url(backend: str, tmp_path, request) -> Iterator[str]:
    with empty_database(backend, tmp_path, request.config) as url:
        yield url


def _shop(n: int, kelurahan: str, text_value: str | None, suspended: bool = False) -> dict:
    return {"id": n, "owner_id": n, "name": f"Toko {n}", "slug": f"toko-{n}", "description": "",
            "city": "Tangerang Selatan", "kelurahan": kelurahan, "sentra": text_value, "sentra_id": None,
            "suspended_at": NOW if suspended else None, "created_at": NOW}


def test_shops_are_linked_to_the_sentra_their_text_names_before_the_column_goes(blank_url):
    cfg = alembic_config(blank_url)
    command.upgrade(cfg, "0015_sentra_admin_ops")
    engine = make_engine(blank_url)
    try:
        with engine.begin() as conn:
            conn.execute(users.insert(), [
                {"id": n, "email": f"a{n}@example.test", "name": f"A{n}", "password_hash": "x", "role": "artisan",
                 "is_active": n != 4, "created_at": NOW} for n in range(1, 5)])
            conn.execute(sentra.insert(), [
                {"id": 1, "name": "Sentra Batik Ciputat", "slug": "sentra-batik-ciputat", "city": "Tangerang Selatan",
                 "kelurahan": "Cipayung", "focus": "batik", "story": "", "created_at": NOW, "updated_at": NOW},
                {"id": 2, "name": "Sentra Anyaman", "slug": "sentra-anyaman-pondok-kacang-timur",
                 "city": "Tangerang Selatan", "kelurahan": "Pondok Kacang Timur", "focus": "anyaman", "story": "",
                 "created_at": NOW, "updated_at": NOW}])
            conn.execute(shops.insert(), [
                _shop(1, "Cipayung", "  sentra BATIK ciputat "),  # another spelling of an existing sentra
                _shop(2, "Cipayung", "Sentra Anyaman"),  # names a sentra of another kelurahan: not linked
                _shop(3, "Cipayung", "Kelompok Tenun Baru"),  # names no sentra
                _shop(4, "Pondok Kacang Timur", "Sentra Anyaman", suspended=True),
            ])
        command.upgrade(cfg, "0017_drop_shop_sentra_text")
        assert "sentra" not in {c["name"] for c in inspect(engine).get_columns("shops")}
        with engine.connect() as conn:
            linked = dict(conn.execute(select(shops.c.id, shops.c.sentra_id).order_by(shops.c.id)).all())
            active = dict(conn.execute(select(users.c.id, users.c.is_active)).all())
        assert linked == {1: 1, 2: None, 3: None, 4: 2}
        assert active[4] is True  # a suspended artisan may log in again (to ship open orders)

        command.downgrade(cfg, "0015_sentra_admin_ops")
        with engine.connect() as conn:
            texts = dict(conn.execute(select(shops.c.id, shops.c.sentra).order_by(shops.c.id)).all())
            active = dict(conn.execute(select(users.c.id, users.c.is_active)).all())
        assert texts == {1: "Sentra Batik Ciputat", 2: None, 3: None, 4: "Sentra Anyaman"}
        assert active[4] is False and active[1] is True
    finally:
        engine.dispose()
