"""Payment attempts (#25): an order may have several payment rows, one per method the buyer chose, of
which at most one is live (``superseded_at`` NULL: a partial unique index on ``order_id``). A row is
recorded by the web (``POST /orders/<id>/pay``) before the payments worker makes it at the gateway, so
``provider_intent_id`` and ``client_secret`` may be NULL until then. New columns: the ``method``
(``va_bca``, ``qris``, ``ovo`` …; NULL for the gateway's default form, as every existing row), the
``action`` the buyer follows (JSON text), its ``expires_at``, ``superseded_at``, and what became of
a success that came too late (a switched-away or duplicate attempt): ``return_status`` and
``return_ref`` of its automatic refund. ``sandbox_webhook_deliveries.endpoint`` says which of our
endpoints a sandbox callback goes to (``stripe`` for every existing row, or ``xendit``).

Written by hand; no application code imported. The downgrade keeps the live row of each order only.

Revision ID: 0023_payment_attempts
Revises: 0022_whatsapp
Create Date: 2026-12-07 19:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0023_payment_attempts"
down_revision = "0025_reviews"
branch_labels = None
depends_on = None

LIVE = "superseded_at IS NULL"


def upgrade() -> None:
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('method', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('action', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('superseded_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('return_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('return_ref', sa.String(length=255), nullable=True))
        batch_op.alter_column('provider_intent_id', existing_type=sa.String(length=255), nullable=True)
        batch_op.alter_column('client_secret', existing_type=sa.String(length=255), nullable=True)
        batch_op.drop_constraint('uq_payments_order_id', type_='unique')
        batch_op.create_index('ix_payments_order_id', ['order_id'], unique=False)
    op.create_index('uq_payments_order_id_live', 'payments', ['order_id'], unique=True,
                    sqlite_where=sa.text(LIVE), postgresql_where=sa.text(LIVE))
    with op.batch_alter_table('sandbox_webhook_deliveries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('endpoint', sa.String(length=20), server_default='stripe', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('sandbox_webhook_deliveries', schema=None) as batch_op:
        batch_op.drop_column('endpoint')
    op.execute("DELETE FROM sandbox_webhook_deliveries WHERE order_id IN "
                "(SELECT order_id FROM payments WHERE superseded_at IS NOT NULL)")
    op.execute("DELETE FROM payments WHERE superseded_at IS NOT NULL OR provider_intent_id IS NULL")
    op.drop_index('uq_payments_order_id_live', table_name='payments')
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_index('ix_payments_order_id')
        batch_op.create_unique_constraint('uq_payments_order_id', ['order_id'])
        batch_op.alter_column('client_secret', existing_type=sa.String(length=255), nullable=False)
        batch_op.alter_column('provider_intent_id', existing_type=sa.String(length=255), nullable=False)
        batch_op.drop_column('return_ref')
        batch_op.drop_column('return_status')
        batch_op.drop_column('superseded_at')
        batch_op.drop_column('expires_at')
        batch_op.drop_column('action')
        batch_op.drop_column('method')
