"""The per-seller-order ledger totals the impact report reads are the ledger's own sums (both backends):
kept by the database's triggers through sales and refunds, after a correction by hand, and never
writable by the application."""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from marketplace.ledger import totals
from marketplace.ledger.models import LedgerEntry, LedgerIsAppendOnly, SellerOrderTotals
from marketplace.orders.models import SellerOrder
from tests.unit.impact import dataset


def kept(tx) -> dict[int, tuple[int, int, int]]:
    return {r.seller_order_id: (r.buyer_paid_idr, r.refunded_idr, r.seller_payable_idr)
            for r in tx.execute(select(SellerOrderTotals.__table__))}


def by_amount(tx) -> dict[tuple[int, int], int]:
    """Seller order id by its (subtotal, shipping), to name the dataset's seller orders."""
    return {(so.subtotal_idr, so.shipping_idr): so.id for so in tx.scalars(select(SellerOrder))}


def test_totals_follow_sales_and_refunds(tx):
    dataset.seed(tx)
    tx.flush()
    assert totals.mismatches(tx.connection()) == []
    rows, so = kept(tx), by_amount(tx)
    # O4: 80.000 + 8.000 paid, 30.000 refunded; the artisan's 88.000 − 8.000 commission, less 27.273 taken back.
    assert rows[so[(80_000, 8_000)]] == (88_000, 30_000, 80_000 - 27_273)
    # O3 refunded whole: what was paid, all of it back, nothing left to the artisan.
    assert rows[so[(300_000, 0)]] == (300_000, 300_000, 0)
    assert rows[so[(100_000, 10_000)]] == (110_000, 0, 100_000)
    # O5 was never paid: no entries, no row.
    assert so[(999_000, 0)] not in rows


def test_totals_follow_a_correction_made_by_hand(tx):
    """The ledger is append-only for the app, but a row changed or removed by hand in SQL moves its
    seller order's totals with it (the triggers cover UPDATE and DELETE too)."""
    dataset.seed(tx)
    tx.flush()
    so = by_amount(tx)[(100_000, 10_000)]
    sale = tx.scalars(select(LedgerEntry).where(LedgerEntry.seller_order_id == so,
                                                LedgerEntry.account == "buyer_payments")).one()
    tx.execute(text("UPDATE ledger_entries SET amount_idr = -120000 WHERE id = :id"), {"id": sale.id})
    assert kept(tx)[so][0] == 120_000
    tx.execute(text("UPDATE ledger_entries SET account = 'refunds', amount_idr = 5000 WHERE id = :id"), {"id": sale.id})
    assert kept(tx)[so][:2] == (0, 5_000)
    tx.execute(text("DELETE FROM ledger_entries WHERE id = :id"), {"id": sale.id})
    assert kept(tx)[so][:2] == (0, 0)
    assert totals.mismatches(tx.connection()) == []


def test_the_app_cannot_write_the_totals(tx):
    dataset.seed(tx)
    tx.flush()
    row = tx.scalars(select(SellerOrderTotals)).first()
    row.refunded_idr += 1
    with pytest.raises(LedgerIsAppendOnly):
        tx.flush()
    tx.rollback()
    tx.add(SellerOrderTotals(seller_order_id=999_999, buyer_paid_idr=1, refunded_idr=0, seller_payable_idr=0))
    with pytest.raises(LedgerIsAppendOnly):
        tx.flush()


def test_install_builds_the_totals_from_entries_already_there(tx):
    """What a migration on a populated database does: the table emptied, the triggers made again and the
    rows summed from the existing entries, equal to what the triggers had kept."""
    dataset.seed(tx)
    tx.flush()
    before = kept(tx)
    conn = tx.connection()
    totals.uninstall(conn)
    conn.execute(text(f"DELETE FROM {totals.TABLE}"))
    assert kept(tx) == {}
    totals.install(conn)
    assert kept(tx) == before
    assert totals.mismatches(conn) == []
