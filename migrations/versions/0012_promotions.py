"""promotions (written against 0008, reviewed): one row per (listing, channel), the posting queue and
its idempotency record (``next_attempt_at`` indexed, NULL when nothing more will happen). Rows go with
their listing (CASCADE).

Revision ID: 0012_promotions
Revises: 0008_payouts
Create Date: 2026-12-01 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0012_promotions'
down_revision = "0008_payouts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('promotions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('channel', sa.String(length=32), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checkpoint', sa.String(length=255), nullable=True),
    sa.Column('external_id', sa.String(length=255), nullable=True),
    sa.Column('url', sa.String(length=500), nullable=True),
    sa.Column('last_error', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('posted_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('attempts >= 0', name=op.f('ck_promotions_attempts_not_negative')),
    sa.CheckConstraint("status IN ('queued', 'attempting', 'retrying', 'posted', 'failed', 'permanent', "
                       "'cancelled', 'withdrawing', 'removed')", name=op.f('ck_promotions_status_valid')),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_promotions_listing_id_listings'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_promotions')),
    sa.UniqueConstraint('listing_id', 'channel', name=op.f('uq_promotions_listing_id_channel'))
    )
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.create_index('ix_promotions_channel_status', ['channel', 'status'], unique=False)
        batch_op.create_index('ix_promotions_next_attempt_at', ['next_attempt_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('promotions', schema=None) as batch_op:
        batch_op.drop_index('ix_promotions_next_attempt_at')
        batch_op.drop_index('ix_promotions_channel_status')
    op.drop_table('promotions')
