"""drop the free-text ``shops.sentra`` (written by hand): a shop's sentra is ``shops.sentra_id``, the
creative centre an admin created and assigned; the artisan's own text is gone.

Before the column goes, every shop not yet in a sentra whose text names a sentra of its own (city,
kelurahan), compared trimmed and case-insensitively, is put in it, so no link the text made is lost
silently (a text that names no existing sentra is dropped: an admin creates the centre and assigns
the shop). The downgrade re-adds the column filled with the name of the shop's sentra.

Suspension no longer deactivates the artisan's account (they may still ship their open orders, see
``marketplace/shops/suspension.py``): owners of shops suspended before this revision are made active
again here, and made inactive again by the downgrade.

Revision ID: 0017_drop_shop_sentra_text
Revises: 0016_impact_indexes
Create Date: 2026-12-08 10:00:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0017_drop_shop_sentra_text'
down_revision = '0016_impact_indexes'
branch_labels = None
depends_on = None

_shops = sa.table('shops', sa.column('id', sa.Integer()), sa.column('owner_id', sa.Integer()),
                  sa.column('city', sa.String()), sa.column('kelurahan', sa.String()),
                  sa.column('sentra', sa.String()), sa.column('sentra_id', sa.Integer()),
                  sa.column('suspended_at', sa.DateTime()))
_sentra = sa.table('sentra', sa.column('id', sa.Integer()), sa.column('name', sa.String()),
                   sa.column('city', sa.String()), sa.column('kelurahan', sa.String()))
_users = sa.table('users', sa.column('id', sa.Integer()), sa.column('is_active', sa.Boolean()))


def _owners_of_suspended_shops() -> sa.Select:
    return sa.select(_shops.c.owner_id).where(_shops.c.suspended_at.is_not(None))


def upgrade() -> None:
    # The lowest id wins if (against the unique name per kelurahan) two sentra differ only in case.
    match = (
        sa.select(sa.func.min(_sentra.c.id))
        .where(_sentra.c.city == _shops.c.city, _sentra.c.kelurahan == _shops.c.kelurahan,
               sa.func.lower(sa.func.trim(_sentra.c.name)) == sa.func.lower(sa.func.trim(_shops.c.sentra)))
        .scalar_subquery()
    )
    op.execute(_shops.update().where(_shops.c.sentra_id.is_(None), _shops.c.sentra.is_not(None))
               .values(sentra_id=match))
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.drop_column('sentra')
    op.execute(_users.update().where(_users.c.id.in_(_owners_of_suspended_shops())).values(is_active=True))


def downgrade() -> None:
    with op.batch_alter_table('shops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sentra', sa.String(length=120), nullable=True))
    name = sa.select(_sentra.c.name).where(_sentra.c.id == _shops.c.sentra_id).scalar_subquery()
    op.execute(_shops.update().where(_shops.c.sentra_id.is_not(None)).values(sentra=name))
    op.execute(_users.update().where(_users.c.id.in_(_owners_of_suspended_shops())).values(is_active=False))
