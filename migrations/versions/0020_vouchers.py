"""vouchers (written by hand): ``vouchers`` (shop and programme codes, with a live-uses counter taken by a
conditional update at checkout), ``voucher_uses`` (one per order that used a code),
``users.cart_voucher_id`` (the code a buyer applied to their cart), and on orders and seller orders
what a voucher took off
(``discount_idr``; on a seller order also ``subsidy_idr``, the part a programme pays). The new columns
are added with ``ALTER TABLE … ADD COLUMN`` (default 0), no table rebuilt.

Revision ID: 0020_vouchers
Revises: 0019_impact_speed
Create Date: 2026-12-07 17:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0020_vouchers'
down_revision = '0019_impact_speed'
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'vouchers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('funded_by', sa.String(length=10), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=True),
        sa.Column('city', sa.String(length=80), nullable=True),
        sa.Column('sentra_id', sa.Integer(), nullable=True),
        sa.Column('category', sa.String(length=40), nullable=True),
        sa.Column('kind', sa.String(length=10), nullable=False),
        sa.Column('value', sa.BigInteger(), nullable=False),
        sa.Column('min_subtotal_idr', sa.BigInteger(), nullable=False),
        sa.Column('max_discount_idr', sa.BigInteger(), nullable=True),
        sa.Column('max_uses', sa.Integer(), nullable=True),
        sa.Column('per_buyer', sa.Integer(), nullable=True),
        sa.Column('uses_count', sa.Integer(), nullable=False),
        sa.Column('starts_at', _utc(), nullable=False),
        sa.Column('ends_at', _utc(), nullable=False),
        sa.Column('paused', sa.Boolean(), nullable=False),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('updated_at', _utc(), nullable=False),
        sa.CheckConstraint("funded_by IN ('shop', 'programme')", name=op.f('ck_vouchers_funded_by_valid')),
        sa.CheckConstraint("kind IN ('percent', 'amount')", name=op.f('ck_vouchers_kind_valid')),
        sa.CheckConstraint("(funded_by = 'shop') = (shop_id IS NOT NULL)", name=op.f('ck_vouchers_shop_iff_shop_funded')),
        sa.CheckConstraint("value > 0 AND (kind = 'amount' OR value <= 100)", name=op.f('ck_vouchers_value_valid')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_vouchers_window_valid')),
        sa.CheckConstraint('uses_count >= 0 AND (max_uses IS NULL OR uses_count <= max_uses)',
                           name=op.f('ck_vouchers_uses_valid')),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_vouchers_shop_id_shops'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['sentra_id'], ['sentra.id'], name=op.f('fk_vouchers_sentra_id_sentra'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_vouchers_created_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_vouchers')),
        sa.UniqueConstraint('code', name=op.f('uq_vouchers_code')),
    )
    op.create_index('ix_vouchers_shop_id', 'vouchers', ['shop_id'], unique=False)
    op.create_table(
        'voucher_uses',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('voucher_id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('buyer_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=10), nullable=False),
        sa.Column('discount_idr', sa.BigInteger(), nullable=False),
        sa.Column('funded_by', sa.String(length=10), nullable=False),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('released_at', _utc(), nullable=True),
        sa.CheckConstraint("status IN ('reserved', 'released')", name=op.f('ck_voucher_uses_status_valid')),
        sa.CheckConstraint('discount_idr >= 0', name=op.f('ck_voucher_uses_discount_valid')),
        sa.ForeignKeyConstraint(['voucher_id'], ['vouchers.id'], name=op.f('fk_voucher_uses_voucher_id_vouchers'),
                                ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_voucher_uses_order_id_orders'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_voucher_uses_buyer_id_users'),
                                ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_voucher_uses')),
        sa.UniqueConstraint('order_id', name=op.f('uq_voucher_uses_order_id')),
    )
    op.create_index('ix_voucher_uses_voucher_id_buyer_id', 'voucher_uses', ['voucher_id', 'buyer_id'], unique=False)
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cart_voucher_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_idr', sa.BigInteger(), server_default='0', nullable=False))
    with op.batch_alter_table('seller_orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('discount_idr', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('subsidy_idr', sa.BigInteger(), server_default='0', nullable=False))


def downgrade() -> None:
    with op.batch_alter_table('seller_orders', schema=None) as batch_op:
        batch_op.drop_column('subsidy_idr')
        batch_op.drop_column('discount_idr')
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('discount_idr')
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('cart_voucher_id')
    op.drop_index('ix_voucher_uses_voucher_id_buyer_id', table_name='voucher_uses')
    op.drop_table('voucher_uses')
    op.drop_index('ix_vouchers_shop_id', table_name='vouchers')
    op.drop_table('vouchers')
