"""each seller order's ledger sums, kept by the database (written by hand): the table
``ledger_seller_order_totals`` (buyer paid, refunded, seller payable per seller order) and the triggers
on ``ledger_entries`` that keep it (a PL/pgSQL function on PostgreSQL, three SQL triggers on SQLite),
filled from the entries already there. The impact report reads it instead of summing a period's ledger
entries per seller order (bench/README.md, impact_bench.py, third pass). The DDL lives in
``marketplace.ledger.totals`` (shared with ``create_all``); it is copied here, as it was when this revision
was written, so the revision keeps its meaning when that module changes. The fill reads every ledger entry once: about
a second per million entries, inside the migration's transaction, during which new ledger entries wait
(``CREATE TRIGGER`` locks ``ledger_entries`` against writes until the commit, so none is missed).

Note for later migrations: SQLite's batch mode rebuilds a table it alters, which drops that table's
triggers; one that alters ``ledger_entries`` must create them again (with a copy of their DDL).

Revision ID: 0019_impact_speed
Revises: 0018_listing_search_vector
Create Date: 2026-12-02 02:00:00
"""
import sqlalchemy as sa
from alembic import op


revision = '0019_impact_speed'
down_revision = "0018_listing_search_vector"
branch_labels = None
depends_on = None

# The DDL of marketplace.ledger.totals as it was when this revision was written.
TABLE = "ledger_seller_order_totals"
PG_FUNCTION = "ledger_seller_order_totals_follow"
SQLITE_TRIGGERS = ("ledger_seller_order_totals_ai", "ledger_seller_order_totals_ad", "ledger_seller_order_totals_au")

#: ``substr`` rather than ``LIKE``: exact and case-sensitive on both databases (SQLite's LIKE is not).
_RELEVANT = ("{r}.seller_order_id IS NOT NULL AND ({r}.account IN ('buyer_payments', 'refunds') "
             "OR substr({r}.account, 1, 15) = 'seller_payable:')")


def _parts(r: str) -> str:
    """The three amounts one entry ``r`` (``NEW``/``OLD``) adds to its seller order's row."""
    return (f"CASE WHEN {r}.account = 'buyer_payments' THEN -{r}.amount_idr ELSE 0 END, "
            f"CASE WHEN {r}.account = 'refunds' THEN {r}.amount_idr ELSE 0 END, "
            f"CASE WHEN substr({r}.account, 1, 15) = 'seller_payable:' THEN {r}.amount_idr ELSE 0 END")


def _take_out(r: str) -> str:
    return (f"UPDATE {TABLE} SET "
            f"buyer_paid_idr = buyer_paid_idr - "
            f"(CASE WHEN {r}.account = 'buyer_payments' THEN -{r}.amount_idr ELSE 0 END), "
            f"refunded_idr = refunded_idr - (CASE WHEN {r}.account = 'refunds' THEN {r}.amount_idr ELSE 0 END), "
            f"seller_payable_idr = seller_payable_idr - (CASE WHEN substr({r}.account, 1, 15) = 'seller_payable:' "
            f"THEN {r}.amount_idr ELSE 0 END) "
            f"WHERE seller_order_id = {r}.seller_order_id")


_COLUMNS = f"{TABLE} (seller_order_id, buyer_paid_idr, refunded_idr, seller_payable_idr)"

#: Every existing entry summed in: the starting state (the table is emptied first, so it may run again).
_SUMMED = (
    f"SELECT e.seller_order_id, "
    f"coalesce(sum(CASE WHEN e.account = 'buyer_payments' THEN -e.amount_idr ELSE 0 END), 0), "
    f"coalesce(sum(CASE WHEN e.account = 'refunds' THEN e.amount_idr ELSE 0 END), 0), "
    f"coalesce(sum(CASE WHEN substr(e.account, 1, 15) = 'seller_payable:' THEN e.amount_idr ELSE 0 END), 0) "
    f"FROM ledger_entries e WHERE {_RELEVANT.format(r='e')} GROUP BY e.seller_order_id"
)
_REBUILD = (f"DELETE FROM {TABLE}", f"INSERT INTO {_COLUMNS} {_SUMMED}")

_PG_DDL = (
    # ``SET search_path FROM CURRENT``: the function finds the totals of its own schema (the one it is
    # created in), whatever the search path of the session writing an entry.
    f"""CREATE OR REPLACE FUNCTION {PG_FUNCTION}() RETURNS trigger LANGUAGE plpgsql
    SET search_path FROM CURRENT AS $$
    BEGIN
        IF TG_OP IN ('UPDATE', 'DELETE') AND {_RELEVANT.format(r='OLD')} THEN
            {_take_out('OLD')};
        END IF;
        IF TG_OP IN ('INSERT', 'UPDATE') AND {_RELEVANT.format(r='NEW')} THEN
            INSERT INTO {TABLE} AS t (seller_order_id, buyer_paid_idr, refunded_idr, seller_payable_idr)
            VALUES (NEW.seller_order_id, {_parts('NEW')})
            ON CONFLICT (seller_order_id) DO UPDATE SET
                buyer_paid_idr = t.buyer_paid_idr + EXCLUDED.buyer_paid_idr,
                refunded_idr = t.refunded_idr + EXCLUDED.refunded_idr,
                seller_payable_idr = t.seller_payable_idr + EXCLUDED.seller_payable_idr;
        END IF;
        RETURN NULL;
    END $$""",
    f"DROP TRIGGER IF EXISTS {PG_FUNCTION} ON ledger_entries",
    f"CREATE TRIGGER {PG_FUNCTION} AFTER INSERT OR UPDATE OR DELETE ON ledger_entries "
    f"FOR EACH ROW EXECUTE FUNCTION {PG_FUNCTION}()",
    *_REBUILD,
)
_PG_DROP = (f"DROP FUNCTION IF EXISTS {PG_FUNCTION}() CASCADE",)  # and its trigger


def _sqlite_add(r: str) -> str:
    return (f"INSERT OR IGNORE INTO {_COLUMNS} SELECT {r}.seller_order_id, 0, 0, 0 WHERE {_RELEVANT.format(r=r)}; "
            f"UPDATE {TABLE} SET "
            f"buyer_paid_idr = buyer_paid_idr + "
            f"(CASE WHEN {r}.account = 'buyer_payments' THEN -{r}.amount_idr ELSE 0 END), "
            f"refunded_idr = refunded_idr + (CASE WHEN {r}.account = 'refunds' THEN {r}.amount_idr ELSE 0 END), "
            f"seller_payable_idr = seller_payable_idr + (CASE WHEN substr({r}.account, 1, 15) = 'seller_payable:' "
            f"THEN {r}.amount_idr ELSE 0 END) "
            f"WHERE seller_order_id = {r}.seller_order_id AND {_RELEVANT.format(r=r)};")


_SQLITE_DDL = (
    f"CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGERS[0]} AFTER INSERT ON ledger_entries BEGIN {_sqlite_add('NEW')} END",
    f"CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGERS[1]} AFTER DELETE ON ledger_entries BEGIN "
    f"{_take_out('OLD')} AND {_RELEVANT.format(r='OLD')}; END",
    f"CREATE TRIGGER IF NOT EXISTS {SQLITE_TRIGGERS[2]} AFTER UPDATE ON ledger_entries BEGIN "
    f"{_take_out('OLD')} AND {_RELEVANT.format(r='OLD')}; {_sqlite_add('NEW')} END",
    *_REBUILD,
)
_SQLITE_DROP = tuple(f"DROP TRIGGER IF EXISTS {name}" for name in SQLITE_TRIGGERS)


def _run(bind, per_dialect: dict[str, tuple[str, ...]]) -> None:  # type: ignore[no-untyped-def]
    for statement in per_dialect.get(bind.dialect.name, ()):
        op.execute(statement)


def upgrade() -> None:
    op.create_table(
        'ledger_seller_order_totals',
        sa.Column('seller_order_id', sa.Integer(), autoincrement=False, nullable=False),
        sa.Column('buyer_paid_idr', sa.BigInteger(), nullable=False),
        sa.Column('refunded_idr', sa.BigInteger(), nullable=False),
        sa.Column('seller_payable_idr', sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint('seller_order_id', name=op.f('pk_ledger_seller_order_totals')),
    )
    _run(op.get_bind(), {"sqlite": _SQLITE_DDL, "postgresql": _PG_DDL})


def downgrade() -> None:
    _run(op.get_bind(), {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP})
    op.drop_table('ledger_seller_order_totals')
