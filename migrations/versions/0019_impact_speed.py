"""each seller order's ledger sums, kept by the database (written by hand): the table
``ledger_seller_order_totals`` (buyer paid, refunded, seller payable per seller order) and the triggers
on ``ledger_entries`` that keep it (a PL/pgSQL function on PostgreSQL, three SQL triggers on SQLite),
filled from the entries already there. The impact report reads it instead of summing a period's ledger
entries per seller order (bench/README.md, impact_bench.py, third pass). The DDL lives in
``marketplace.ledger.totals`` (shared with ``create_all``). The fill reads every ledger entry once: about
a second per million entries, inside the migration's transaction, during which new ledger entries wait
(``CREATE TRIGGER`` locks ``ledger_entries`` against writes until the commit, so none is missed).

Note for later migrations: SQLite's batch mode rebuilds a table it alters, which drops that table's
triggers; one that alters ``ledger_entries`` must call ``totals.install`` again.

Revision ID: 0019_impact_speed
Revises: 0018_listing_search_vector
Create Date: 2026-12-02 02:00:00
"""
import sqlalchemy as sa
from alembic import op

from marketplace.ledger import totals


revision = '0019_impact_speed'
down_revision = "0018_listing_search_vector"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'ledger_seller_order_totals',
        sa.Column('seller_order_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('buyer_paid_idr', sa.BigInteger(), nullable=False),
        sa.Column('refunded_idr', sa.BigInteger(), nullable=False),
        sa.Column('seller_payable_idr', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('seller_order_id', name=op.f('pk_ledger_seller_order_totals')),
    )
    totals.install(op.get_bind())


def downgrade() -> None:
    totals.uninstall(op.get_bind())
    op.drop_table('ledger_seller_order_totals')
