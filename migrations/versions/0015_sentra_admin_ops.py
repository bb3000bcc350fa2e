"""sentra and admin operations (written by hand, reviewed against autogenerate): the ``sentra`` of each
kelurahan (unique name per kelurahan) and ``shops.sentra_id`` (SET NULL: removing a centre leaves its
shops in place), a shop's suspension (``suspended_at``, ``suspension_reason``), ``listing_reports``
(once per user and listing; CASCADE with the listing and the reporter) and the append-only
``admin_actions`` audit log (RESTRICT on the actor: the log outlives nobody it names).

Revision ID: 0015_sentra_admin_ops
Revises: 0013_attribution
Create Date: 2026-12-01 20:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0015_sentra_admin_ops'
down_revision = "0013_attribution"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('sentra',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('slug', sa.String(length=140), nullable=False),
    sa.Column('city', sa.String(length=80), nullable=False),
    sa.Column('kelurahan', sa.String(length=80), nullable=False),
    sa.Column('focus', sa.String(length=40), nullable=False),
    sa.Column('story', sa.Text(), nullable=False),
    sa.Column('photo_key', sa.String(length=255), nullable=True),
    sa.Column('photo_thumb_key', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_sentra')),
    sa.UniqueConstraint('kelurahan', 'name', name='uq_sentra_kelurahan_name'),
    sa.UniqueConstraint('slug', name=op.f('uq_sentra_slug'))
    )
    with op.batch_alter_table('sentra', schema=None) as batch_op:
        batch_op.create_index('ix_sentra_city_kelurahan', ['city', 'kelurahan'], unique=False)

    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentra_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('suspended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('suspension_reason', sa.Text(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_shops_sentra_id_sentra'), 'sentra', ['sentra_id'], ['id'],
                                    ondelete='SET NULL')
        batch_op.create_index('ix_shops_sentra_id', ['sentra_id'], unique=False)

    op.create_table('listing_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('listing_id', sa.Integer(), nullable=False),
    sa.Column('reporter_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolution', sa.String(length=16), nullable=True),
    sa.ForeignKeyConstraint(['listing_id'], ['listings.id'], name=op.f('fk_listing_reports_listing_id_listings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['reporter_id'], ['users.id'], name=op.f('fk_listing_reports_reporter_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_listing_reports')),
    sa.UniqueConstraint('listing_id', 'reporter_id', name='uq_listing_reports_listing_id_reporter_id')
    )
    with op.batch_alter_table('listing_reports', schema=None) as batch_op:
        batch_op.create_index('ix_listing_reports_open', ['listing_id', 'resolved_at'], unique=False)

    op.create_table('admin_actions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=254), nullable=False),
    sa.Column('action', sa.String(length=60), nullable=False),
    sa.Column('target_type', sa.String(length=40), nullable=False),
    sa.Column('target_id', sa.Integer(), nullable=False),
    sa.Column('before', sa.JSON(), nullable=True),
    sa.Column('after', sa.JSON(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_admin_actions_actor_id_users'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_admin_actions'))
    )
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.create_index('ix_admin_actions_actor_id', ['actor_id'], unique=False)
        batch_op.create_index('ix_admin_actions_created_at', ['created_at'], unique=False)
        batch_op.create_index('ix_admin_actions_target', ['target_type', 'target_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('admin_actions', schema=None) as batch_op:
        batch_op.drop_index('ix_admin_actions_target')
        batch_op.drop_index('ix_admin_actions_created_at')
        batch_op.drop_index('ix_admin_actions_actor_id')
    op.drop_table('admin_actions')
    with op.batch_alter_table('listing_reports', schema=None) as batch_op:
        batch_op.drop_index('ix_listing_reports_open')
    op.drop_table('listing_reports')
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_index('ix_shops_sentra_id')
        batch_op.drop_constraint(batch_op.f('fk_shops_sentra_id_sentra'), type_='foreignkey')
        batch_op.drop_column('suspension_reason')
        batch_op.drop_column('suspended_at')
        batch_op.drop_column('sentra_id')
    with op.batch_alter_table('sentra', schema=None) as batch_op:
        batch_op.drop_index('ix_sentra_city_kelurahan')
    op.drop_table('sentra')
