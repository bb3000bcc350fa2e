"""listing search vector (written by hand): on PostgreSQL, word search reads a stored ``tsvector``
instead of recomputing ``to_tsvector`` for every match — the generated column
``listings.search_vector`` (computed for every existing row as it is added: the backfill) with the GIN
index ``ix_listings_search_vector``, replacing the expression index ``ix_listings_fts``. SQLite keeps its
FTS5 table and triggers unchanged. The DDL is a copy of ``marketplace.catalog.fts``'s as it was when
this revision was written (so the revision keeps its meaning when that module changes); every statement
is ``IF [NOT] EXISTS``, so a database that has the column already is left as it is. Adding a stored column rewrites
``listings`` under an exclusive lock: seconds at 100,000 listings (well inside env.py's 300 s
statement timeout), during which the catalogue waits.

Plus ``ix_listings_status_shop_id_category``: the catalogue's counts (the home page's per place and
per category, search totals) read it alone, an index-only scan (issue #15, bench/scale_bench.py).

Revision ID: 0018_listing_search_vector
Revises: 0017_drop_shop_sentra_text
Create Date: 2026-12-01 22:30:00
"""
from alembic import op


revision = '0018_listing_search_vector'
down_revision = "0017_drop_shop_sentra_text"
branch_labels = None
depends_on = None


# Copied from marketplace.catalog.fts as it was when this revision was written.
_PG_DOCUMENT = "to_tsvector('simple'::regconfig, coalesce(title, '') || ' ' || coalesce(description, ''))"
_PG_DDL = (
    "DROP INDEX IF EXISTS ix_listings_fts",
    # A stored generated column is computed for every existing row when it is added: the backfill.
    f"ALTER TABLE listings ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({_PG_DOCUMENT}) STORED",
    "CREATE INDEX IF NOT EXISTS ix_listings_search_vector ON listings USING gin (search_vector)",
)
_PG_DROP = (
    "DROP INDEX IF EXISTS ix_listings_search_vector",
    "ALTER TABLE listings DROP COLUMN IF EXISTS search_vector",
    "DROP INDEX IF EXISTS ix_listings_fts",
)
#: What the downgrade puts back: 0001's expression index.
_PG_LEGACY_DDL = (
    "CREATE INDEX IF NOT EXISTS ix_listings_fts ON listings USING gin "
    "(to_tsvector('simple', coalesce(title, '') || ' ' || coalesce(description, '')))",
)


def upgrade() -> None:
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.create_index('ix_listings_status_shop_id_category', ['status', 'shop_id', 'category'], unique=False)
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in _PG_DDL:
            op.execute(statement)


def downgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        for statement in (*_PG_DROP, *_PG_LEGACY_DDL):
            op.execute(statement)
    with op.batch_alter_table('listings', schema=None) as batch_op:
        batch_op.drop_index('ix_listings_status_shop_id_category')
