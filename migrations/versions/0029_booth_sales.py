"""Booth sales (#27): an order rung up by an artisan at a festival or market. ``orders.fulfilment`` is
``pickup`` for such an order (NULL: shipped, as every existing order), and ``orders.programme_event_id``
names the event it was sold at (impact counts booth sales per event; an event's deletion keeps the order).

Written by hand; no application code imported.

Revision ID: 0029_booth_sales
Revises: 0023_payment_attempts
Create Date: 2026-12-07 23:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0029_booth_sales"
down_revision = "0023_payment_attempts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fulfilment", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("programme_event_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f("fk_orders_programme_event_id_programme_events"),
                                    "programme_events", ["programme_event_id"], ["id"], ondelete="SET NULL")
        batch_op.create_check_constraint(batch_op.f("ck_orders_fulfilment_valid"),
                                         "fulfilment IS NULL OR fulfilment IN ('pickup')")
        batch_op.create_index("ix_orders_programme_event_id", ["programme_event_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("orders", schema=None) as batch_op:
        batch_op.drop_index("ix_orders_programme_event_id")
        batch_op.drop_constraint(batch_op.f("ck_orders_fulfilment_valid"), type_="check")
        batch_op.drop_constraint(batch_op.f("fk_orders_programme_event_id_programme_events"), type_="foreignkey")
        batch_op.drop_column("programme_event_id")
        batch_op.drop_column("fulfilment")
