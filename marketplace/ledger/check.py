"""``marketplace ledger check``: the books against themselves and against orders and payouts.

What it verifies (each problem is one line of the answer; none means the books are right):

1. every transaction's entries sum to zero;
2. every order that was paid has exactly its total in ``buyer_payments`` (one sale per seller order),
   and an order never paid has nothing there; each sale's commission is the rate it names applied to
   the seller order's item subtotal (rounded half up);
3. ``refunds`` holds exactly the refunds the gateway confirmed, each for its amount;
4. ``payouts_in_transit`` is the sum of the payouts released and not settled (``processing``,
   ``pending``), ``payouts_paid`` the sum of those ``paid``, and each seller's payable balance is what
   their sales less refunds less paid or in-transit payouts leave;
5. each seller order's row of ``ledger_seller_order_totals`` (kept by the database's triggers, read by
   the impact report) equals the sums of its entries;
6. ``programme_subsidy``: each sale took exactly its seller order's subsidy (a programme voucher's share,
   ``SellerOrder.subsidy_idr``) and refunds never gave back more of it than was taken;
7. no money is stranded: a payment that succeeded on an order that is not paid (it expired or was
   cancelled meanwhile, or another attempt paid it) is being given back (``return_status``).
"""

from __future__ import annotations

from collections import defaultdict

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from marketplace.ledger import services as ledger
from marketplace.ledger import totals
from marketplace.ledger.models import LedgerEntry, LedgerTransaction
from marketplace.orders.models import Order, SellerOrder
from marketplace.payments.models import Payment, PaymentStatus, Refund, RefundStatus
from marketplace.payouts.models import Payout, PayoutStatus

IN_TRANSIT = (PayoutStatus.PROCESSING.value, PayoutStatus.PENDING.value)


def check(session: Session) -> list[str]:
    problems: list[str] = []
    unbalanced = session.execute(
        select(LedgerEntry.transaction_id, func.sum(LedgerEntry.amount_idr))
        .group_by(LedgerEntry.transaction_id).having(func.sum(LedgerEntry.amount_idr) != 0))
    problems += [f"transaction {tx} does not balance: its entries sum to {total}" for tx, total in unbalanced]

    collected = dict(session.execute(
        select(LedgerTransaction.order_id, func.sum(LedgerEntry.amount_idr))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account == ledger.BUYER_PAYMENTS).group_by(LedgerTransaction.order_id)).all())
    for order_id, total, paid_at in session.execute(select(Order.id, Order.total_idr, Order.paid_at)):
        got = -int(collected.pop(order_id, 0) or 0)
        expected = total if paid_at is not None else 0
        if got != expected:
            problems.append(f"order {order_id}: buyer_payments holds {got}, the order was paid {expected}")
    problems += [f"buyer_payments names order {o} that does not exist" for o in collected]
    problems += _commission_problems(session)
    problems += _subsidy_problems(session)

    refunded = dict(session.execute(
        select(LedgerTransaction.refund_id, func.sum(LedgerEntry.amount_idr))
        .join(LedgerEntry, LedgerEntry.transaction_id == LedgerTransaction.id)
        .where(LedgerEntry.account == ledger.REFUNDS).group_by(LedgerTransaction.refund_id)).all())
    for refund_id, amount, status in session.execute(select(Refund.id, Refund.amount_idr, Refund.status)):
        got = int(refunded.pop(refund_id, 0) or 0)
        expected = amount if status == RefundStatus.SUCCEEDED.value else 0
        if got != expected:
            problems.append(f"refund {refund_id} ({status}): the ledger refunded {got}, expected {expected}")
    problems += [f"refunds account names refund {r} that does not exist" for r in refunded]

    balances = ledger.balances(session)
    payouts = list(session.execute(select(Payout.shop_id, Payout.status, Payout.amount_idr)))
    in_transit = sum(a for _, s, a in payouts if s in IN_TRANSIT)
    paid = sum(a for _, s, a in payouts if s == PayoutStatus.PAID.value)
    if balances.get(ledger.PAYOUTS_IN_TRANSIT, 0) != in_transit:
        problems.append(f"payouts_in_transit is {balances.get(ledger.PAYOUTS_IN_TRANSIT, 0)}, "
                        f"released payouts add up to {in_transit}")
    if balances.get(ledger.PAYOUTS_PAID, 0) != paid:
        problems.append(f"payouts_paid is {balances.get(ledger.PAYOUTS_PAID, 0)}, paid payouts add up to {paid}")
    problems += _seller_problems(session, balances, payouts)
    problems += [f"seller order {so}: ledger totals hold {kept_sums}, its entries sum to {summed}"
                 for so, kept_sums, summed in totals.mismatches(session.connection())]
    problems += [f"payment {p} took {amount} for order {o}, which it did not pay, and nothing gives it back"
                 for p, o, amount in session.execute(
                     select(Payment.id, Payment.order_id, Payment.amount_idr).join(Order, Order.id == Payment.order_id)
                     .where(Payment.status == PaymentStatus.SUCCEEDED.value, Payment.return_status.is_(None),
                            Order.paid_at.is_(None)))]
    return problems


def _commission_problems(session: Session) -> list[str]:
    rows = session.execute(
        select(LedgerEntry.seller_order_id, LedgerEntry.amount_idr, LedgerTransaction.commission_bps,
               SellerOrder.subtotal_idr)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .join(SellerOrder, SellerOrder.id == LedgerEntry.seller_order_id)
        .where(LedgerTransaction.kind == "sale", LedgerEntry.account == ledger.PLATFORM_COMMISSION))
    return [f"seller order {so}: commission {amount}, expected {ledger.commission_for(subtotal, bps or 0)}"
            for so, amount, bps, subtotal in rows if amount != ledger.commission_for(subtotal, bps or 0)]


def _subsidy_problems(session: Session) -> list[str]:
    taken = dict(session.execute(
        select(LedgerEntry.seller_order_id, func.sum(LedgerEntry.amount_idr))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.kind == "sale", LedgerEntry.account == ledger.PROGRAMME_SUBSIDY)
        .group_by(LedgerEntry.seller_order_id)).all())
    net = dict(session.execute(
        select(LedgerEntry.seller_order_id, func.sum(LedgerEntry.amount_idr))
        .where(LedgerEntry.account == ledger.PROGRAMME_SUBSIDY).group_by(LedgerEntry.seller_order_id)).all())
    sold = session.execute(select(SellerOrder.id, SellerOrder.subsidy_idr).where(SellerOrder.id.in_(
        select(LedgerEntry.seller_order_id)
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerTransaction.kind == "sale"))))
    problems = [f"seller order {so}: its sale took {-int(taken.get(so, 0) or 0)} of programme_subsidy, "
                f"its subsidy is {subsidy}" for so, subsidy in sold if -int(taken.get(so, 0) or 0) != subsidy]
    problems += [f"seller order {so}: refunds gave back more programme subsidy than its sale took"
                 for so, total in net.items() if int(total or 0) > 0]
    return problems


def _seller_problems(session: Session, balances: dict[str, int], payouts: list) -> list[str]:  # noqa: ANN001
    """Each shop's payable = its sales and refunds (entries tagged with a seller order) − what left."""
    earned: dict[int, int] = defaultdict(int)
    for shop_id, total in session.execute(
            select(SellerOrder.shop_id, func.sum(LedgerEntry.amount_idr))
            .join(SellerOrder, SellerOrder.id == LedgerEntry.seller_order_id)
            .where(LedgerEntry.account.like("seller_payable:%")).group_by(SellerOrder.shop_id)):
        earned[int(shop_id)] = int(total)
    out: dict[int, int] = defaultdict(int)
    for shop_id, status, amount in payouts:
        if status in IN_TRANSIT or status == PayoutStatus.PAID.value:
            out[shop_id] += amount
    problems = []
    shops = set(earned) | set(out) | {int(a.split(":", 1)[1]) for a in balances if a.startswith("seller_payable:")}
    for shop_id in sorted(shops):
        got = balances.get(ledger.seller_payable(shop_id), 0)
        if got != earned[shop_id] - out[shop_id]:
            problems.append(f"shop {shop_id}: seller_payable is {got}, sales and refunds less payouts are "
                            f"{earned[shop_id] - out[shop_id]}")
    return problems
