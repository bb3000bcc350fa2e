"""listing search vector (written by hand): on PostgreSQL, word search reads a stored ``tsvector``
instead of recomputing ``to_tsvector`` for every match — the generated column
``listings.search_vector`` (computed for every existing row as it is added: the backfill) with the GIN
index ``ix_listings_search_vector``, replacing the expression index ``ix_listings_fts``. SQLite keeps its
FTS5 table and triggers unchanged. The DDL lives in ``marketplace.catalog.fts`` (shared with
``create_all``); on a database built from empty, 0001's ``fts.install`` already made it, and this
revision finds nothing to do (every statement is ``IF [NOT] EXISTS``). Adding a stored column rewrites
``listings`` under an exclusive lock: seconds at 100,000 listings (well inside env.py's 300 s
statement timeout), during which the catalogue waits.

Plus ``ix_listings_status_shop_id_category``: the catalogue's counts (the home page's per place and
per category, search totals) read it alone, an index-only scan (issue #15, bench/scale_bench.py).

Revision ID: 0018_listing_search_vector
Revises: 0017_drop_shop_sentra_text
Create Date: 2026-12-01 22:30:00
"""
from alembic import op

from marketplace.catalog import fts


revision = '0018_listing_search_vector'
down_revision = "0017_drop_shop_sentra_text"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_status_shop_id_category', ['status', 'shop_id', 'category'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        fts.install(bind)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        fts.uninstall(bind)
        for statement in fts.PG_LEGACY_DDL:
            op.execute(statement)
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_status_shop_id_category')
