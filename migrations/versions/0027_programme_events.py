"""programme events (written by hand): ``programme_events`` (workshops, trainings, festivals and markets
of a sentra or a city), ``programme_registrations`` (one per event and user: registered, waitlisted,
attended or cancelled, with its check-in code) and ``programme_event_shops`` (the shops taking part in a
festival or market; booth sales attach here later).

Revision ID: 0027_programme_events
Revises: 0022_whatsapp
Create Date: 2026-12-07 19:30:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0027_programme_events'
down_revision = '0026_messaging'
branch_labels = None
depends_on = None


def _utc() -> sa.DateTime:
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        'programme_events',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('title', sa.String(length=140), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('venue', sa.String(length=200), nullable=False),
        sa.Column('city', sa.String(length=80), nullable=False),
        sa.Column('sentra_id', sa.Integer(), nullable=True),
        sa.Column('starts_at', _utc(), nullable=False),
        sa.Column('ends_at', _utc(), nullable=False),
        sa.Column('capacity', sa.Integer(), nullable=False),
        sa.Column('registration_opens_at', _utc(), nullable=False),
        sa.Column('registration_closes_at', _utc(), nullable=False),
        sa.Column('photo_key', sa.String(length=255), nullable=True),
        sa.Column('photo_thumb_key', sa.String(length=255), nullable=True),
        sa.Column('cancel_reason', sa.String(length=500), nullable=True),
        sa.Column('reminded_at', _utc(), nullable=True),
        sa.Column('created_by', sa.Integer(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('updated_at', _utc(), nullable=False),
        sa.CheckConstraint("kind IN ('workshop', 'training', 'festival', 'market')",
                           name=op.f('ck_programme_events_kind_valid')),
        sa.CheckConstraint("status IN ('scheduled', 'cancelled')", name=op.f('ck_programme_events_status_valid')),
        sa.CheckConstraint('ends_at > starts_at', name=op.f('ck_programme_events_times_valid')),
        sa.CheckConstraint('registration_closes_at > registration_opens_at AND registration_closes_at <= ends_at',
                           name=op.f('ck_programme_events_window_valid')),
        sa.CheckConstraint('capacity >= 1', name=op.f('ck_programme_events_capacity_valid')),
        sa.ForeignKeyConstraint(['sentra_id'], ['sentra.id'], name=op.f('fk_programme_events_sentra_id_sentra'),
                                ondelete='SET NULL'),
        sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_programme_events_created_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_events')),
    )
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.create_index('ix_programme_events_city_starts_at', ['city', 'starts_at'], unique=False)
        batch_op.create_index('ix_programme_events_sentra_id', ['sentra_id'], unique=False)

    op.create_table(
        'programme_registrations',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('code', sa.String(length=12), nullable=False),
        sa.Column('queued_at', _utc(), nullable=False),
        sa.Column('promoted_at', _utc(), nullable=True),
        sa.Column('attended_at', _utc(), nullable=True),
        sa.Column('cancelled_at', _utc(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.CheckConstraint("status IN ('registered', 'waitlisted', 'attended', 'cancelled')",
                           name=op.f('ck_programme_registrations_status_valid')),
        sa.ForeignKeyConstraint(['event_id'], ['programme_events.id'],
                                name=op.f('fk_programme_registrations_event_id_programme_events'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_programme_registrations_user_id_users'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_registrations')),
        sa.UniqueConstraint('code', name=op.f('uq_programme_registrations_code')),
        sa.UniqueConstraint('event_id', 'user_id', name='uq_programme_registrations_event_id_user_id'),
    )
    with op.batch_alter_table('programme_registrations', schema=None) as batch_op:
        batch_op.create_index('ix_programme_registrations_event_id_status_queued_at',
                              ['event_id', 'status', 'queued_at'], unique=False)
        batch_op.create_index('ix_programme_registrations_user_id', ['user_id'], unique=False)

    op.create_table(
        'programme_event_shops',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('event_id', sa.Integer(), nullable=False),
        sa.Column('shop_id', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.String(length=500), nullable=False),
        sa.Column('decided_by', sa.Integer(), nullable=True),
        sa.Column('created_at', _utc(), nullable=False),
        sa.Column('decided_at', _utc(), nullable=True),
        sa.CheckConstraint("status IN ('applied', 'accepted')", name=op.f('ck_programme_event_shops_status_valid')),
        sa.ForeignKeyConstraint(['event_id'], ['programme_events.id'],
                                name=op.f('fk_programme_event_shops_event_id_programme_events'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_programme_event_shops_shop_id_shops'),
                                ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_programme_event_shops_decided_by_users'),
                                ondelete='SET NULL'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_programme_event_shops')),
        sa.UniqueConstraint('event_id', 'shop_id', name='uq_programme_event_shops_event_id_shop_id'),
    )
    with op.batch_alter_table('programme_event_shops', schema=None) as batch_op:
        batch_op.create_index('ix_programme_event_shops_shop_id', ['shop_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('programme_event_shops', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_event_shops_shop_id')
    op.drop_table('programme_event_shops')
    with op.batch_alter_table('programme_registrations', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_registrations_user_id')
        batch_op.drop_index('ix_programme_registrations_event_id_status_queued_at')
    op.drop_table('programme_registrations')
    with op.batch_alter_table('programme_events', schema=None) as batch_op:
        batch_op.drop_index('ix_programme_events_sentra_id')
        batch_op.drop_index('ix_programme_events_city_starts_at')
    op.drop_table('programme_events')
