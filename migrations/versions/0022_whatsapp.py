"""WhatsApp notifications (#28): a user's phone number (``users.phone``, E.164), the opt-in and the mark of
a number WhatsApp refused for good (``notification_preferences.whatsapp``, ``whatsapp_failed_phone``,
``whatsapp_failure_reason``, ``whatsapp_failed_at``), and the channel of each notification row:
``notifications.channel`` (``email`` for every existing row), unique per (event, recipient, kind,
channel) instead of (event, recipient, kind), with a WhatsApp row's template parameters, the Cloud
API's message id (indexed: the webhook's statuses find the row by it) and its latest delivery status.

Written by hand; no application code imported. The downgrade deletes the WhatsApp rows first (the old
unique key could not hold a mail and a WhatsApp row of the same kind).

Revision ID: 0022_whatsapp
Revises: 0021_listing_variants
Create Date: 2026-12-07 18:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0022_whatsapp"
down_revision = "0021_listing_variants"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('phone', sa.String(length=16), nullable=True))

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('whatsapp', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('whatsapp_failed_phone', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('whatsapp_failure_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('whatsapp_failed_at', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.add_column(sa.Column('channel', sa.String(length=10), server_default='email', nullable=False))
        batch_op.add_column(sa.Column('parameters', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('delivery_status', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('delivery_status_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint('uq_notifications_event_id_recipient_id_kind', type_='unique')
        batch_op.create_unique_constraint('uq_notifications_event_id_recipient_id_kind_channel',
                                          ['event_id', 'recipient_id', 'kind', 'channel'])
        batch_op.create_check_constraint('ck_notifications_channel_valid', "channel IN ('email', 'whatsapp')")
        batch_op.create_index('ix_notifications_external_id', ['external_id'], unique=False)


def downgrade() -> None:
    op.execute("DELETE FROM notifications WHERE channel = 'whatsapp'")
    with op.batch_alter_table('notifications', schema=None) as batch_op:
        batch_op.drop_index('ix_notifications_external_id')
        batch_op.drop_constraint('ck_notifications_channel_valid', type_='check')
        batch_op.drop_constraint('uq_notifications_event_id_recipient_id_kind_channel', type_='unique')
        batch_op.create_unique_constraint('uq_notifications_event_id_recipient_id_kind',
                                          ['event_id', 'recipient_id', 'kind'])
        batch_op.drop_column('delivery_status_at')
        batch_op.drop_column('delivery_status')
        batch_op.drop_column('external_id')
        batch_op.drop_column('parameters')
        batch_op.drop_column('channel')

    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('whatsapp_failed_at')
        batch_op.drop_column('whatsapp_failure_reason')
        batch_op.drop_column('whatsapp_failed_phone')
        batch_op.drop_column('whatsapp')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_column('phone')
