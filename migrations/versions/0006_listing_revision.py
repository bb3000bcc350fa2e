"""listing revision (written by hand, checked against the models): ``listings.revision`` counts the
changes of what a buyer sees, and ``moderation_decisions.revision`` records which one a moderator
decided on (issue #9: an edit made between opening the queue and approving must not be approved unseen).

Existing listings start at revision 1 (the server default, so the NOT NULL column can be added to a
filled table); decisions taken before this migration keep a NULL revision: nobody knows what they saw.
Plain ``ADD COLUMN`` on both backends, no batch copy: on SQLite a batch would rebuild ``listings``
and lose its full-text-search triggers.

Revision ID: 0006_listing_revision
Revises: 0005
Create Date: 2026-12-01 19:50:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0006_listing_revision'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('listings', sa.Column('revision', sa.Integer(), server_default='1', nullable=False))
    op.add_column('moderation_decisions', sa.Column('revision', sa.Integer(), nullable=True))


def downgrade() -> None:
    op.drop_column('moderation_decisions', 'revision')
    op.drop_column('listings', 'revision')
