"""promotion reach: visits counted per (day, source, medium, campaign), the last touch of each order,
and the share-kit images made for a listing. No personal data is stored (see
marketplace/promotion/attribution/models.py).

Revision ID: 0013_attribution
Revises: 0012_promotions
"""
from alembic import op
import sqlalchemy as sa


revision = '0013_attribution'
down_revision = "0012_promotions"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promotion_visits',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('medium', sa.String(length=40), nullable=False),
    sa.Column('campaign', sa.String(length=80), nullable=False),
    sa.Column('visits', sa.Integer(), nullable=False),
    sa.CheckConstraint('visits >= 0', name=op.f('ck_promotion_visits_visits_not_negative')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotion_visits')),
    sa.UniqueConstraint('day', 'source', 'medium', 'campaign', name='uq_promotion_visits_day_source')
    )
    op.create_table('order_attributions',
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=40), nullable=False),
    sa.Column('medium', sa.String(length=40), nullable=False),
    sa.Column('campaign', sa.String(length=80), nullable=False),
    sa.Column('referrer_host', sa.String(length=255), nullable=True),
    sa.Column('listing_id', sa.Integer(), nullable=True),
    sa.Column('touched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_order_attributions_listing_id_listings'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['orders.id'], name=op.f('fk_order_attributions_order_id_orders'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('order_id', name=op.f('pk_order_attributions'))
    )
    op.create_index('ix_order_attributions_source_touched_at', 'order_attributions', ['source', 'touched_at'], unique=False)
    op.create_table('share_kits',
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('fingerprint', sa.String(length=64), nullable=False),
    sa.Column('square_key', sa.String(length=255), nullable=False),
    sa.Column('story_key', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_share_kits_listing_id_listings'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('listing_id', name=op.f('pk_share_kits'))
    )


def downgrade() -> None:
    op.drop_table('share_kits')
    op.drop_index('ix_order_attributions_source_touched_at', table_name='order_attributions')
    op.drop_table('order_attributions')
    op.drop_table('promotion_visits')
