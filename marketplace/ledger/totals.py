"""Each seller order's ledger sums, kept by the database beside the entries (``ledger_seller_order_totals``).

Reports over many seller orders (the impact figures, ``marketplace.impact``) need, per seller order, what
the buyer paid, what was refunded and what the artisan earned: sums of that seller order's entries.
Summing them at read time cost a year's report 55,000 index look-ups into ``ledger_entries`` (or a
hash aggregate of the whole ledger), the largest part of its time (bench/README.md, impact_bench.py,
third pass). So the database keeps those three sums per seller order, **derived from the entries the way
an index is derived from its table**:

- triggers on ``ledger_entries`` (``AFTER INSERT OR UPDATE OR DELETE``, for each row; a PL/pgSQL
  function on PostgreSQL, three SQL triggers on SQLite) add each new entry to its seller order's row,
  take an old one out, in the same statement and transaction as the entry itself, so a total can never
  disagree with the entries committed beside it, whatever wrote them (the ORM, a bulk insert, SQL by
  hand). The ledger is append-only (``models._refuse_changes``), so in practice only the insert
  trigger runs; the other two make a correction by hand follow too;
- no application code writes the table: ``models._refuse_changes`` refuses a flush that would, and
  nothing outside this module's DDL names it in a write;
- :func:`install` builds it from the entries already there (a migration on a populated database), so
  it starts equal too; :func:`mismatches` compares it with the entries' own sums (a test, and any check).

Columns, in the ledger's signs turned into positive amounts: ``buyer_paid_idr`` = −Σ ``buyer_payments``
entries (items + shipping of the sale), ``refunded_idr`` = Σ ``refunds`` entries, ``seller_payable_idr`` =
Σ ``seller_payable:<shop>`` entries (sale credit less refund debits). A row exists once its seller order
has one such entry (a ``platform_commission`` entry alone makes none). Balances stay sums of entries
(``services.balance``): this is a per-seller-order read path, not the books.

Like ``marketplace.catalog.fts``, the DDL runs on every ``marketplace.models.create_all``; the migration
(``0019_impact_speed``) carries a copy of it as it was then.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.engine import Connection

from marketplace.db import run_ddl

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


def install(connection: Connection) -> None:
    """Create the triggers for this connection's dialect and fill the table from the entries there."""
    run_ddl(connection, {"sqlite": _SQLITE_DDL, "postgresql": _PG_DDL})


def uninstall(connection: Connection) -> None:
    """Drop what :func:`install` created (not the table: the migration or ``drop_all`` does)."""
    run_ddl(connection, {"sqlite": _SQLITE_DROP, "postgresql": _PG_DROP})


def mismatches(connection: Connection) -> list[tuple[Any, Any]]:
    """Seller orders whose row disagrees with their entries' own sums, a row missing or left over
    included: ``(seller_order_id, kept, summed)`` with each ``(buyer_paid, refunded, seller_payable)`` or
    None; empty when the table is right."""
    summed = {r[0]: tuple(r[1:]) for r in connection.execute(text(_SUMMED))}
    kept = {r[0]: tuple(r[1:]) for r in connection.execute(text(
        f"SELECT seller_order_id, buyer_paid_idr, refunded_idr, seller_payable_idr FROM {TABLE}"))}
    return sorted((so, kept.get(so), summed.get(so)) for so in kept.keys() | summed.keys()
                  if kept.get(so) != summed.get(so))

