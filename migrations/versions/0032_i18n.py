"""WhatsApp's 24-hour window (#28): when a user last wrote to our WhatsApp number, and from which
number (``notification_preferences.whatsapp_inbound_at``, ``whatsapp_inbound_phone``), read from the
Cloud API webhook's inbound messages. Inside the 24 hours that follow, a message to that number may be
free-form text; outside, only a template.

Written by hand; no application code imported.

Revision ID: 0032_i18n
Revises: 0028_disputes
Create Date: 2026-12-07 23:20:00
"""
import sqlalchemy as sa
from alembic import op


revision = "0032_i18n"
down_revision = "0028_disputes"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.add_column(sa.Column('whatsapp_inbound_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('whatsapp_inbound_phone', sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('notification_preferences', schema=None) as batch_op:
        batch_op.drop_column('whatsapp_inbound_phone')
        batch_op.drop_column('whatsapp_inbound_at')
