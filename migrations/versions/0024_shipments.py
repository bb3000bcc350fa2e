"""Couriers (#25): a shop's pickup address (street, postal code, coordinates), each seller order's
chosen courier service, the courier's order id and the latest tracking status (indexed lookups by the
courier's order id and by the waybill), and ``shipment_updates``: one row per (seller order, status)
with the courier's time.

Written by hand; no application code imported.

Revision ID: 0024_shipments
Revises: 0022_whatsapp
Create Date: 2026-12-07 19:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0024_shipments"
down_revision = "0022_whatsapp"
branch_labels = None
depends_on = None

STATUSES = ("confirmed", "picked_up", "in_transit", "delivered", "returned")


def upgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('pickup_address', sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column('pickup_postal_code', sa.String(length=5), nullable=True))
        batch_op.add_column(sa.Column('pickup_latitude', sa.Float(), nullable=True))
        batch_op.add_column(sa.Column('pickup_longitude', sa.Float(), nullable=True))

    with op.batch_alter_table('seller_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('shipping_service', sa.String(length=40), nullable=True))
        batch_op.add_column(sa.Column('shipment_ref', sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column('tracking_status', sa.String(length=20), nullable=True))
        batch_op.create_index('ix_seller_orders_shipment_ref', ['shipment_ref'], unique=False)
        batch_op.create_index('ix_seller_orders_tracking_number', ['tracking_number'], unique=False)

    op.create_table(
        'shipment_updates',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('seller_order_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=20), nullable=False),
        sa.Column('note', sa.String(length=300), nullable=False),
        sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("status IN (" + ", ".join(f"'{s}'" for s in STATUSES) + ")",
                           name='ck_shipment_updates_status_valid'),
        sa.ForeignKeyConstraint(['seller_order_id'], ['seller_orders.id'],
                                name='fk_shipment_updates_seller_order_id_seller_orders', ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name='pk_shipment_updates'),
        sa.UniqueConstraint('seller_order_id', 'status', name='uq_shipment_updates_seller_order_id_status'),
    )
    op.create_index('ix_shipment_updates_seller_order_id_occurred_at', 'shipment_updates',
                    ['seller_order_id', 'occurred_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_shipment_updates_seller_order_id_occurred_at', table_name='shipment_updates')
    op.drop_table('shipment_updates')
    with op.batch_alter_table('seller_orders', schema=None) as batch_op:
        batch_op.drop_index('ix_seller_orders_tracking_number')
        batch_op.drop_index('ix_seller_orders_shipment_ref')
        batch_op.drop_column('tracking_status')
        batch_op.drop_column('shipment_ref')
        batch_op.drop_column('shipping_service')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('pickup_longitude')
        batch_op.drop_column('pickup_latitude')
        batch_op.drop_column('pickup_postal_code')
        batch_op.drop_column('pickup_address')
