"""The ledger's two tables: transactions and their entries (ARCHITECTURE.md §4, §7).

Append-only: rows are inserted, never updated or deleted (a mistake is corrected by a new, reversing
transaction), which the classes themselves enforce (mapper events: an update with a changed column or a delete raises
:class:`LedgerIsAppendOnly` in the flush). Each transaction's entries sum to
zero; ``ref`` says what caused it (``sale:so-12``, ``refund:7``, ``payout-sent:5:0``) and is unique, so
recording the same fact twice is refused by the database rather than doubling money. Amounts are integer
rupiah, signed: positive adds to the account, negative takes from it (see ``services``).

A third table, ``ledger_seller_order_totals`` (:class:`SellerOrderTotals`), holds each seller order's sums
of its entries for reports over many seller orders (the impact figures). It is not a counter kept by
hand: triggers on ``ledger_entries`` derive it in the same statement as every entry (as an index is
derived from its table), no application code may write it, and it is rebuilt from the entries when
installed, so it cannot drift from them (``marketplace.ledger.totals``). Balances remain sums of entries.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, CheckConstraint, ForeignKey, Index, Integer, String, event
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from marketplace.db import Base, UTCDateTime, utcnow


class LedgerTransaction(Base):
    __tablename__ = "ledger_transactions"
    __table_args__ = (
        Index("ix_ledger_transactions_order_id", "order_id"),
        Index("ix_ledger_transactions_payout_id", "payout_id"),
        Index("ix_ledger_transactions_created_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))  # sale, refund, payout_sent, payout_paid, payout_reversed, payout_returned
    ref: Mapped[str] = mapped_column(String(100), unique=True)
    order_id: Mapped[int | None] = mapped_column(ForeignKey("orders.id", ondelete="RESTRICT"), default=None)
    payout_id: Mapped[int | None] = mapped_column(ForeignKey("payouts.id", ondelete="RESTRICT"), default=None)
    refund_id: Mapped[int | None] = mapped_column(ForeignKey("refunds.id", ondelete="RESTRICT"), default=None)
    commission_bps: Mapped[int | None] = mapped_column(Integer, default=None)  # the rate a sale was charged
    memo: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entries: Mapped[list["LedgerEntry"]] = relationship(
        back_populates="transaction", order_by="LedgerEntry.id", cascade="all"
    )


class LedgerEntry(Base):
    __tablename__ = "ledger_entries"
    __table_args__ = (
        CheckConstraint("amount_idr <> 0", name="amount_not_zero"),
        Index("ix_ledger_entries_transaction_id", "transaction_id"),
        Index("ix_ledger_entries_account", "account"),
        Index("ix_ledger_entries_seller_order_id", "seller_order_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    transaction_id: Mapped[int] = mapped_column(ForeignKey("ledger_transactions.id", ondelete="RESTRICT"))
    account: Mapped[str] = mapped_column(String(64))
    amount_idr: Mapped[int] = mapped_column(BigInteger)
    #: The seller order a sale or refund entry is about (None for payouts), for per-order figures.
    seller_order_id: Mapped[int | None] = mapped_column(
        ForeignKey("seller_orders.id", ondelete="RESTRICT"), default=None)

    transaction: Mapped[LedgerTransaction] = relationship(back_populates="entries")


class SellerOrderTotals(Base):
    """One seller order's sums of its ledger entries, **kept by the database** (triggers on
    ``ledger_entries``, ``marketplace.ledger.totals``), never written by application code: derived from
    the entries like an index, in the same statement as each entry, so it cannot drift from them.
    Balances are still sums of entries; this is the per-seller-order read path of reports."""

    __tablename__ = "ledger_seller_order_totals"

    seller_order_id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    #: −Σ ``buyer_payments`` entries: what the buyer paid for it (items + shipping).
    buyer_paid_idr: Mapped[int] = mapped_column(BigInteger)
    #: Σ ``refunds`` entries: what was given back to the buyer for it.
    refunded_idr: Mapped[int] = mapped_column(BigInteger)
    #: Σ ``seller_payable:<shop>`` entries: the artisan's earnings (sale credit less refund debits).
    seller_payable_idr: Mapped[int] = mapped_column(BigInteger)


class LedgerIsAppendOnly(RuntimeError):
    """Something tried to change or delete a ledger row (correct it with a new transaction instead)."""


def _refuse_change(_mapper: object, _connection: object, row: object) -> None:
    """An update of a ledger row with a changed column, or a delete: refused, whatever the session."""
    session = object_session(row)
    if session is None or row in session.deleted or session.is_modified(row, include_collections=False):
        raise LedgerIsAppendOnly(f"ledger rows are append-only ({type(row).__name__} {getattr(row, 'id', '')})")


def _refuse_write(_mapper: object, _connection: object, _row: object) -> None:
    raise LedgerIsAppendOnly("ledger_seller_order_totals is kept by the database, never written by the app")


# Part of the classes' definition (as a validator is), on these classes only: no session, engine or
# global object is listened to, so whoever opens a session gets the rule without installing anything.
for _cls in (LedgerTransaction, LedgerEntry):
    event.listen(_cls, "before_update", _refuse_change)
    event.listen(_cls, "before_delete", _refuse_change)
for _kind in ("before_insert", "before_update", "before_delete"):
    event.listen(SellerOrderTotals, _kind, _refuse_write)


# ``LedgerTransaction.payout_id`` names the payouts table: load it wherever the ledger is.
from marketplace.payouts import models as _payouts_models  # noqa: E402,F401
