"""Migration 0019 on a marketplace that already has sales: the per-seller-order ledger totals start equal
to the ledger's own sums, the triggers it installs keep them so for entries written after it, and the
downgrade takes table and triggers away (new entries are still written) — on both databases."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from sqlalchemy import inspect, select, text
from sqlalchemy.orm import Session

from marketplace.cli import alembic_config
from marketplace.db import make_engine
from marketplace.ledger import totals
from marketplace.orders.models import SellerOrder
from tests.conftest import empty_database
from tests.unit.impact import dataset

BEFORE = "0018_listing_search_vector"


@pytest.fixture
def blank_url(backend: str, tmp_path, request) -> Iterator[str]:
    with empty_database(backend, tmp_path, request.config) as url:
        yield url


def _entry(conn, seller_order_id: int, account: str, amount: int) -> None:
    tx_id = conn.execute(text("SELECT max(id) FROM ledger_transactions")).scalar()
    conn.execute(text("INSERT INTO ledger_entries (transaction_id, account, amount_idr, seller_order_id) "
                      "VALUES (:t, :a, :n, :s)"), {"t": tx_id, "a": account, "n": amount, "s": seller_order_id})


def test_the_totals_are_filled_from_the_existing_ledger_and_follow_it_afterwards(blank_url):
    cfg = alembic_config(blank_url)
    # Seeded through today's models (at head: they may have columns later revisions added), then taken
    # back to before 0019, so 0019 meets a marketplace that already has sales.
    command.upgrade(cfg, "head")
    engine = make_engine(blank_url)
    try:
        with Session(engine) as session:
            dataset.seed(session)
            session.commit()
            paid = {(so.subtotal_idr, so.shipping_idr): so.id for so in session.scalars(select(SellerOrder))}
        command.downgrade(cfg, BEFORE)
        assert totals.TABLE not in inspect(engine).get_table_names()

        command.upgrade(cfg, "head")
        with engine.begin() as conn:
            assert totals.mismatches(conn) == []
            kept = {r[0]: tuple(r[1:]) for r in conn.execute(text(
                f"SELECT seller_order_id, buyer_paid_idr, refunded_idr, seller_payable_idr FROM {totals.TABLE}"))}
            # O4 of the data set: 80.000 + 8.000 paid, 30.000 refunded, the artisan's part less 27.273 back.
            assert kept[paid[(80_000, 8_000)]] == (88_000, 30_000, 80_000 - 27_273)
            assert paid[(999_000, 0)] not in kept  # never paid: no entries, no row
            _entry(conn, paid[(80_000, 8_000)], "refunds", 5_000)  # written after the migration
        with engine.connect() as conn:
            assert totals.mismatches(conn) == []
            refunded = conn.execute(text(f"SELECT refunded_idr FROM {totals.TABLE} WHERE seller_order_id = :s"),
                                    {"s": paid[(80_000, 8_000)]}).scalar()
        assert refunded == 35_000

        command.downgrade(cfg, BEFORE)
        assert totals.TABLE not in inspect(engine).get_table_names()
        with engine.begin() as conn:  # no trigger left behind that would write to a missing table
            _entry(conn, paid[(80_000, 8_000)], "refunds", 1_000)
        command.upgrade(cfg, "head")
        with engine.connect() as conn:
            assert totals.mismatches(conn) == []
    finally:
        engine.dispose()
