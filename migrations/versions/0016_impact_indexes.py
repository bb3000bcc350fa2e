"""impact report indexes (written by hand): ``orders(paid_at)``, the impact report's period, so a short
period (a month, the dashboard's usual question) reads its own orders rather than every order of the
marketplace's history. A covering index ``ledger_entries(seller_order_id, account, amount_idr)`` was
measured too and left out: the plans kept the existing ``ix_ledger_entries_seller_order_id`` (or a
sequential scan for a year) and it saved nothing (bench/README.md, impact).

Revision ID: 0016_impact_indexes
Revises: 0015_sentra_admin_ops
Create Date: 2026-12-02 22:40:00
"""
from alembic import op


revision = '0016_impact_indexes'
down_revision = '0015_sentra_admin_ops'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.create_index('ix_orders_paid_at', ['paid_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_index('ix_orders_paid_at')
