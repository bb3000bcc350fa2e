"""Posting to the ledger and reading balances from it (ARCHITECTURE.md §4, §7).

**Accounts** (named, integer rupiah): ``buyer_payments`` (clearing: what buyers paid in),
``platform_commission``, ``seller_payable:<shop_id>`` (what we owe that artisan), ``payouts_in_transit``
(sent to the payout provider, not yet confirmed), ``payouts_paid`` (confirmed at the artisan's bank: the
money is out), ``refunds`` (given back to buyers) and ``programme_subsidy`` (what programme vouchers paid
for buyers: its balance, negated, is what the city owes the platform; ``marketplace.vouchers``).

**Signs.** An entry's amount is what it adds to its account (negative: what it takes). Every
transaction's entries sum to zero (:func:`post` refuses anything else), so the sum of all balances is
always zero, and a balance is a sum of entries, never a stored counter:

- a paid seller order (``sale``, written with the order's move to ``paid``): ``buyer_payments`` −(items +
  shipping − subsidy), ``programme_subsidy`` −subsidy (a programme voucher's share of the seller order,
  ``SellerOrder.subsidy_idr``; 0 without one), ``platform_commission`` +commission, ``seller_payable:<shop>``
  +(items − commission + shipping): the artisan and the platform get what they would without the voucher
  (a *shop* voucher is already off the seller order's item subtotal, so both fall with it);
- a refund confirmed by the gateway (``refund``): ``refunds`` +amount (what the buyer paid, at most), the
  programme's subsidy reversed in proportion (``programme_subsidy`` +subsidy × amount / buyer paid, rounded
  half up; all of it on a full refund), and for the gross that comes back (amount + that subsidy) the
  commission on it and the artisan's part taken back from ``platform_commission`` and
  ``seller_payable:<shop>``. After a payout
  that leaves the artisan's balance negative; the next payouts net it off (``marketplace.payouts``);
- a payout released (``payout_sent``): ``seller_payable`` → ``payouts_in_transit``; confirmed
  (``payout_paid``): ``payouts_in_transit`` → ``payouts_paid``; failed after sending (``payout_reversed``):
  ``payouts_in_transit`` → ``seller_payable`` again.

**Commission rounding**: ``PLATFORM_COMMISSION_BPS`` of the seller order's *item subtotal* (never its
shipping), computed once per seller order and rounded half up to the whole rupiah (Rp 12.345 at 10 % is
Rp 1.235; Rp 12.344 is Rp 1.234). A refund of part of a seller order takes back the commission in
proportion, rounded the same way; a full refund takes back exactly what was charged.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.ledger.models import LedgerEntry, LedgerTransaction

BUYER_PAYMENTS = "buyer_payments"
PLATFORM_COMMISSION = "platform_commission"
PAYOUTS_IN_TRANSIT = "payouts_in_transit"
PAYOUTS_PAID = "payouts_paid"
REFUNDS = "refunds"
PROGRAMME_SUBSIDY = "programme_subsidy"
#: The calendar the programme settles by (WIB is UTC+7 all year).
WIB = timezone(timedelta(hours=7))
#: ``PLATFORM_COMMISSION_BPS``'s default (Settings), for callers that do not pass the configured rate.
DEFAULT_COMMISSION_BPS = 1000


def seller_payable(shop_id: int) -> str:
    return f"seller_payable:{shop_id}"


class UnbalancedTransaction(ValueError):
    """A transaction whose entries do not sum to zero (a bug: nothing is written)."""


@dataclass(frozen=True)
class Line:
    account: str
    amount_idr: int
    seller_order_id: int | None = None


def round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, in integers only (no float ever touches money)."""
    return (2 * numerator + denominator) // (2 * denominator)


def commission_for(subtotal_idr: int, bps: int) -> int:
    """The platform's commission on an item subtotal: ``bps`` basis points, rounded half up."""
    return round_half_up(subtotal_idr * bps, 10_000)


def post(session: Session, *, kind: str, ref: str, lines: Iterable[Line], now: datetime, order_id: int | None = None,
         payout_id: int | None = None, refund_id: int | None = None, commission_bps: int | None = None,
         memo: str = "") -> LedgerTransaction | None:
    """Append one balanced transaction (no commit); None if ``ref`` was recorded before (said once)."""
    kept = [line for line in lines if line.amount_idr != 0]
    total = sum(line.amount_idr for line in kept)
    if total != 0:
        raise UnbalancedTransaction(f"{ref}: entries sum to {total}, not 0")
    if session.scalar(select(LedgerTransaction.id).where(LedgerTransaction.ref == ref)) is not None:
        return None
    tx = LedgerTransaction(
        kind=kind, ref=ref, order_id=order_id, payout_id=payout_id, refund_id=refund_id,
        commission_bps=commission_bps, memo=memo[:200], created_at=now,
        entries=[LedgerEntry(account=l.account, amount_idr=l.amount_idr, seller_order_id=l.seller_order_id)
                 for l in kept],
    )
    session.add(tx)
    session.flush()
    return tx


# --- what is posted when -------------------------------------------------------------------------------


def record_order_paid(session: Session, order, *, commission_bps: int, now: datetime) -> None:  # noqa: ANN001
    """One ``sale`` per seller order of the order just marked paid (its caller's transaction)."""
    for part in order.seller_orders:
        gross = part.subtotal_idr + part.shipping_idr
        commission = commission_for(part.subtotal_idr, commission_bps)
        post(session, kind="sale", ref=f"sale:so-{part.id}", order_id=order.id, commission_bps=commission_bps,
             now=now, memo=f"order #{order.id}", lines=[
                 Line(BUYER_PAYMENTS, -(gross - part.subsidy_idr), part.id),
                 Line(PROGRAMME_SUBSIDY, -part.subsidy_idr, part.id),
                 Line(PLATFORM_COMMISSION, commission, part.id),
                 Line(seller_payable(part.shop_id), gross - commission, part.id),
             ])


def record_refund(session: Session, order, refund, *, now: datetime) -> None:  # noqa: ANN001
    """The ``refund`` of a confirmed refund: one seller order, or every part of the whole order (each
    what its buyer paid; any difference stays with the last part). See the module doc for the subsidy."""
    if refund.seller_order_id is not None:
        parts = [so for so in order.seller_orders if so.id == refund.seller_order_id]
    else:
        parts = list(order.seller_orders)
    commission = commission_by_seller_order(session, [p.id for p in parts], kinds=("sale",))
    remaining = refund.amount_idr
    lines: list[Line] = []
    for index, part in enumerate(parts):
        paid, total = part.buyer_paid_idr, part.subtotal_idr + part.shipping_idr
        amount = remaining if index == len(parts) - 1 else min(paid, remaining)
        remaining -= amount
        subsidy = part.subsidy_idr if amount == paid else round_half_up(part.subsidy_idr * amount, paid)
        gross = amount + subsidy
        charged = commission.get(part.id, 0)
        back = charged if gross == total else round_half_up(charged * gross, total)
        lines += [Line(REFUNDS, amount, part.id), Line(PROGRAMME_SUBSIDY, subsidy, part.id),
                  Line(PLATFORM_COMMISSION, -back, part.id),
                  Line(seller_payable(part.shop_id), -(gross - back), part.id)]
    post(session, kind="refund", ref=f"refund:{refund.id}", order_id=order.id, refund_id=refund.id, now=now,
         memo=f"refund of order #{order.id}", lines=lines)


def _payout_lines(payout, source: str, target: str) -> list[Line]:  # noqa: ANN001
    return [Line(source, -payout.amount_idr), Line(target, payout.amount_idr)]


def record_payout_sent(session: Session, payout, *, now: datetime) -> None:  # noqa: ANN001
    post(session, kind="payout_sent", ref=f"payout-sent:{payout.id}:{payout.generation}", payout_id=payout.id,
         order_id=payout.order_id, now=now, memo=f"payout #{payout.id}",
         lines=_payout_lines(payout, seller_payable(payout.shop_id), PAYOUTS_IN_TRANSIT))


def record_payout_paid(session: Session, payout, *, now: datetime) -> None:  # noqa: ANN001
    post(session, kind="payout_paid", ref=f"payout-paid:{payout.id}:{payout.generation}", payout_id=payout.id,
         order_id=payout.order_id, now=now, memo=f"payout #{payout.id} {payout.transfer_id or ''}",
         lines=_payout_lines(payout, PAYOUTS_IN_TRANSIT, PAYOUTS_PAID))


def record_payout_reversed(session: Session, payout, *, now: datetime) -> None:  # noqa: ANN001
    post(session, kind="payout_reversed", ref=f"payout-reversed:{payout.id}:{payout.generation}",
         payout_id=payout.id, order_id=payout.order_id, now=now, memo=f"payout #{payout.id} failed",
         lines=_payout_lines(payout, PAYOUTS_IN_TRANSIT, seller_payable(payout.shop_id)))


def record_payout_returned(session: Session, payout, *, now: datetime) -> None:  # noqa: ANN001
    """A paid payout's money came back (the transfer was reversed, the bank returned it): owed again."""
    post(session, kind="payout_returned", ref=f"payout-returned:{payout.id}:{payout.generation}",
         payout_id=payout.id, order_id=payout.order_id, now=now, memo=f"payout #{payout.id} returned",
         lines=_payout_lines(payout, PAYOUTS_PAID, seller_payable(payout.shop_id)))


# --- reading -------------------------------------------------------------------------------------------


def balance(session: Session, account: str) -> int:
    """The sum of the account's entries."""
    return int(session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_idr), 0))
                              .where(LedgerEntry.account == account)) or 0)


def balances(session: Session) -> dict[str, int]:
    rows = session.execute(select(LedgerEntry.account, func.sum(LedgerEntry.amount_idr)).group_by(LedgerEntry.account))
    return {account: int(total) for account, total in rows}


def _by_seller_order(session: Session, account_filter, seller_order_ids: list[int],  # noqa: ANN001
                     kinds: tuple[str, ...] | None = None) -> dict[int, int]:
    if not seller_order_ids:
        return {}
    stmt = (select(LedgerEntry.seller_order_id, func.sum(LedgerEntry.amount_idr))
            .where(account_filter, LedgerEntry.seller_order_id.in_(seller_order_ids))
            .group_by(LedgerEntry.seller_order_id))
    if kinds:
        stmt = stmt.join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id).where(
            LedgerTransaction.kind.in_(kinds))
    return {int(so): int(total) for so, total in session.execute(stmt)}


def payable_by_seller_order(session: Session, shop_id: int, seller_order_ids: list[int]) -> dict[int, int]:
    """What each seller order is worth to its artisan now: its sale less its refunds."""
    return _by_seller_order(session, LedgerEntry.account == seller_payable(shop_id), seller_order_ids)


def commission_by_seller_order(session: Session, seller_order_ids: list[int],
                               kinds: tuple[str, ...] | None = None) -> dict[int, int]:
    """The commission kept on each seller order (charged, less what refunds took back)."""
    return _by_seller_order(session, LedgerEntry.account == PLATFORM_COMMISSION, seller_order_ids, kinds)


def refunded_by_seller_order(session: Session, seller_order_ids: list[int]) -> dict[int, int]:
    return _by_seller_order(session, LedgerEntry.account == REFUNDS, seller_order_ids)


def has_sale(session: Session, seller_order_id: int) -> bool:
    return session.scalar(select(LedgerTransaction.id).where(
        LedgerTransaction.ref == f"sale:so-{seller_order_id}")) is not None


def programme_subsidy_by_month(session: Session, start: datetime | None = None,
                               end: datetime | None = None) -> dict[str, int]:
    """What programme vouchers cost, per WIB month (``YYYY-MM``) of the ledger transaction: the subsidy
    of the sales paid that month less what that month's refunds reversed. What the city owes for the
    month (``start`` inclusive, ``end`` exclusive; None: unbounded)."""
    stmt = (select(LedgerTransaction.created_at, LedgerEntry.amount_idr)
            .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
            .where(LedgerEntry.account == PROGRAMME_SUBSIDY))
    if start is not None:
        stmt = stmt.where(LedgerTransaction.created_at >= start)
    if end is not None:
        stmt = stmt.where(LedgerTransaction.created_at < end)
    owed: dict[str, int] = defaultdict(int)
    for at, amount in session.execute(stmt):
        owed[at.astimezone(WIB).strftime("%Y-%m")] -= int(amount)
    return dict(sorted(owed.items()))
