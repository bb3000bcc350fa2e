"""programme figures (written by hand): ``artisan_profiles`` (an artisan's private birth year, used only in
aggregates) and ``artisan_crafts`` (the craft categories they practise).

Revision ID: 0030_programme_figures
Revises: 0032_i18n
Create Date: 2026-12-07 22:50:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0030_programme_figures'
down_revision = '0032_i18n'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'artisan_profiles',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('birth_year', sa.SmallInteger(), nullable=True),
        sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint('birth_year IS NULL OR birth_year >= 1940', name=op.f('ck_artisan_profiles_birth_year_valid')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_artisan_profiles_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', name=op.f('pk_artisan_profiles')),
    )
    op.create_table(
        'artisan_crafts',
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('category', sa.String(length=40), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_artisan_crafts_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('user_id', 'category', name=op.f('pk_artisan_crafts')),
    )


def downgrade() -> None:
    op.drop_table('artisan_crafts')
    op.drop_table('artisan_profiles')
