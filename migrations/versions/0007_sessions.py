"""server-side sessions and shared rate-limit counters (issue #9, part 4; written by hand, checked
against the models by tests/unit/test_migrations.py).

``user_sessions``: one row per logged-in browser, keyed by the SHA-256 of the id its signed cookie
carries; ended by logout, a password change or a suspension (``revoked_at``), or by the idle and
absolute lifetimes. ``rate_limit_counters``: flask-limiter's fixed windows in the shared database
(``RATELIMIT_STORAGE_URI=database://``, the default), so every web process counts the same attempts.
Existing cookies (which carried the user id) stop logging anyone in: everyone logs in once more.

Revision ID: 0007_sessions
Revises: 0010_notifications
Create Date: 2026-12-01 19:40:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0007_sessions'
down_revision = '0010_notifications'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('user_sessions',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions'))
    )
    op.create_index('ix_user_sessions_user_id', 'user_sessions', ['user_id'], unique=False)
    op.create_table('rate_limit_counters',
    sa.Column('key', sa.String(length=255), nullable=False),
    sa.Column('hits', sa.Integer(), nullable=False),
    sa.Column('expires_at', sa.Float(), nullable=False),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_rate_limit_counters'))
    )
    op.create_index('ix_rate_limit_counters_expires_at', 'rate_limit_counters', ['expires_at'], unique=False)


def downgrade() -> None:
    op.drop_index('ix_rate_limit_counters_expires_at', table_name='rate_limit_counters')
    op.drop_table('rate_limit_counters')
    op.drop_index('ix_user_sessions_user_id', table_name='user_sessions')
    op.drop_table('user_sessions')
