"""What the artisan and the admins read about money: a shop's earnings, its monthly statement, the
admins' payout list and the reconciliation of the ledger with the provider's transfers.

All figures come from the ledger (sums of entries) and the payout rows; nothing here writes.

The artisan's figures: ``balance_idr`` is the ledger balance of ``seller_payable:<shop>`` (what we owe
them now, negative after a refund of an order already paid out); ``pending_idr`` is what paid orders
not delivered yet will bring; ``scheduled_idr`` the payouts waiting (hold running, or no usable account);
``in_transit_idr`` the payouts sent and not confirmed; ``paid_idr`` what reached their account.
A statement month is a calendar month in WIB (``Asia/Jakarta``), the marketplace's home time zone.
"""

from __future__ import annotations

import csv
import io
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, selectinload

from marketplace.accounts.models import User
from marketplace.errors import ValidationFailed
from marketplace.formatting import TIMEZONE
from marketplace.ledger import services as ledger
from marketplace.ledger.models import LedgerEntry, LedgerTransaction
from marketplace.orders.models import OrderItem, SellerOrder
from marketplace.payouts.models import Payout, PayoutStatus
from marketplace.payouts.queries import account_of, shop_of

S = PayoutStatus
WAITING = (S.SCHEDULED.value, S.AWAITING_ACCOUNT.value)
IN_TRANSIT = (S.PROCESSING.value, S.PENDING.value)
MONTH = re.compile(r"^(\d{4})-(0[1-9]|1[0-2])$")
MONTH_MESSAGE = "Give the month as YYYY-MM, e.g. 2026-11."


def present_payout(payout: Payout) -> dict[str, Any]:
    return {
        "id": payout.id, "shop_id": payout.shop_id, "order_id": payout.order_id, "amount_idr": payout.amount_idr,
        "commission_idr": payout.commission_idr, "status": payout.status, "transfer_id": payout.transfer_id,
        "seller_order_ids": [payout.seller_order_id], "due_at": payout.due_at, "paid_at": payout.paid_at,
        "attempts": payout.attempts, "last_error": payout.last_error, "failure_reason": payout.failure_reason,
        "next_attempt_at": payout.next_attempt_at, "provider": payout.provider,
    }


def earnings(session: Session, artisan: User) -> dict[str, Any]:
    """The artisan's money page and ``GET /api/v1/seller/payouts``."""
    shop = shop_of(session, artisan)
    account_name = ledger.seller_payable(shop.id)
    rows = list(session.scalars(select(Payout).where(Payout.shop_id == shop.id).order_by(Payout.id.desc())))
    part_ids = sorted(set(session.scalars(select(LedgerEntry.seller_order_id).distinct().where(
        LedgerEntry.account == account_name, LedgerEntry.seller_order_id.is_not(None)))))
    payable = ledger.payable_by_seller_order(session, shop.id, part_ids)
    commission = ledger.commission_by_seller_order(session, part_ids)
    refunded = ledger.refunded_by_seller_order(session, part_ids)
    by_part = {p.seller_order_id: p for p in rows}
    parts = {so.id: so for so in session.scalars(select(SellerOrder).where(SellerOrder.id.in_(part_ids)))}
    orders = [{
        "seller_order_id": so_id, "order_id": parts[so_id].order_id, "status": parts[so_id].status,
        "subtotal_idr": parts[so_id].subtotal_idr, "shipping_idr": parts[so_id].shipping_idr,
        "commission_idr": commission.get(so_id, 0), "refunded_idr": refunded.get(so_id, 0),
        "payable_idr": payable.get(so_id, 0),
        "payout_id": by_part[so_id].id if so_id in by_part else None,
        "payout_status": by_part[so_id].status if so_id in by_part else None,
    } for so_id in sorted(part_ids, reverse=True)]
    account = account_of(session, shop.id)
    return {
        "items": [present_payout(p) for p in rows],
        "orders": orders,
        "balance_idr": ledger.balance(session, account_name),
        "pending_idr": sum(max(0, payable.get(i, 0)) for i in part_ids if i not in by_part),
        "scheduled_idr": sum(p.amount_idr for p in rows if p.status in WAITING),
        "in_transit_idr": sum(p.amount_idr for p in rows if p.status in IN_TRANSIT),
        "paid_idr": sum(p.amount_idr for p in rows if p.status == S.PAID.value),
        "account": account,
    }


def parse_month(text: str) -> tuple[datetime, datetime]:
    """``YYYY-MM`` → the month's start and the next month's start (aware, WIB); 422 otherwise."""
    match = MONTH.match(text or "")
    if not match or not 2000 <= int(match.group(1)) <= 2999:
        raise ValidationFailed(fields={"month": [MONTH_MESSAGE]})
    year, month = int(match.group(1)), int(match.group(2))
    start = datetime(year, month, 1, tzinfo=TIMEZONE)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=TIMEZONE)
    return start, end


STATEMENT_COLUMNS = ("date_wib", "kind", "order_id", "seller_order_id", "payout_id", "description",
                     "gross_idr", "commission_idr", "amount_idr", "balance_idr", "items")


def _items_of(session: Session, seller_order_ids: set[int]) -> dict[int, str]:
    """Each seller order's items as the statement names them: ``Kemeja batik (ukuran: L) × 2; …``
    (the variant as bought, from the order item: a later edit of the listing does not change it)."""
    out: dict[int, list[str]] = {}
    if seller_order_ids:
        for item in session.scalars(select(OrderItem).where(OrderItem.seller_order_id.in_(seller_order_ids))
                                    .order_by(OrderItem.id)):
            label = f"{item.title} ({item.variant_label})" if item.variant_label else item.title
            out.setdefault(item.seller_order_id, []).append(f"{label} × {item.quantity}")
    return {key: "; ".join(names) for key, names in out.items()}


def statement_csv(session: Session, artisan: User, month: str) -> str:
    """The month's movements on the artisan's balance, with the opening and closing balance."""
    start, end = parse_month(month)
    shop = shop_of(session, artisan)
    account_name = ledger.seller_payable(shop.id)
    opening = int(session.scalar(
        select(func.coalesce(func.sum(LedgerEntry.amount_idr), 0))
        .join(LedgerTransaction, LedgerTransaction.id == LedgerEntry.transaction_id)
        .where(LedgerEntry.account == account_name, LedgerTransaction.created_at < start)) or 0)
    txs = list(session.scalars(
        select(LedgerTransaction).options(selectinload(LedgerTransaction.entries))
        .where(LedgerTransaction.id.in_(select(LedgerEntry.transaction_id).where(LedgerEntry.account == account_name)),
               LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end)
        .order_by(LedgerTransaction.created_at, LedgerTransaction.id)))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(STATEMENT_COLUMNS)
    writer.writerow([start.date().isoformat(), "opening_balance", "", "", "", "", "", "", "", opening, ""])
    balance = opening
    items = _items_of(session, {e.seller_order_id for tx in txs if tx.kind == "sale" for e in tx.entries
                                if e.account == account_name and e.seller_order_id})
    for tx in txs:
        mine = [e for e in tx.entries if e.account == account_name]
        amount = sum(e.amount_idr for e in mine)
        balance += amount
        commission = sum(e.amount_idr for e in tx.entries if e.account == ledger.PLATFORM_COMMISSION)
        gross = -sum(e.amount_idr for e in tx.entries if e.account == ledger.BUYER_PAYMENTS) if tx.kind == "sale" \
            else -sum(e.amount_idr for e in tx.entries if e.account == ledger.REFUNDS)
        parts = sorted({e.seller_order_id for e in mine if e.seller_order_id})
        writer.writerow([
            tx.created_at.astimezone(TIMEZONE).strftime("%Y-%m-%d %H:%M"), tx.kind, tx.order_id or "",
            " ".join(map(str, parts)), tx.payout_id or "", tx.memo, gross if tx.kind in ("sale", "refund") else "",
            commission if tx.kind in ("sale", "refund") else "", amount, balance,
            "; ".join(items[part] for part in parts if part in items) if tx.kind == "sale" else "",
        ])
    last_day = (end.date().toordinal() - 1)
    writer.writerow([datetime.fromordinal(last_day).date().isoformat(), "closing_balance", "", "", "", "", "", "",
                     "", balance, ""])
    return out.getvalue()


# --- admins --------------------------------------------------------------------------------------------


def admin_payouts(session: Session, status: str | None = None, limit: int = 200) -> list[Payout]:
    stmt = select(Payout).options(selectinload(Payout.shop)).order_by(Payout.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(Payout.status == status)
    return list(session.scalars(stmt))


def overview(session: Session, now: datetime) -> dict[str, list[Payout]]:
    """The admins' payouts page: what needs them (failed, retrying, waiting for an account), what is due."""
    rows = admin_payouts(session)
    return {
        "failed": [p for p in rows if p.status == S.FAILED.value],
        "retrying": [p for p in rows if p.status == S.PROCESSING.value and p.last_error],
        "awaiting_account": [p for p in rows if p.status == S.AWAITING_ACCOUNT.value],
        "due": [p for p in rows if p.status == S.SCHEDULED.value and p.due_at <= now],
        "recent": rows[:50],
    }


@dataclass
class Reconciliation:
    """Our payouts against the provider's transfers; ``mismatches`` empty means they agree."""

    source: str  # "sandbox transfers" or "payout transfer ids"
    transfers: int = 0
    transferred_idr: int = 0
    paid_idr: int = 0
    ledger_paid_idr: int = 0
    ledger_in_transit_idr: int = 0
    mismatches: list[dict[str, Any]] = field(default_factory=list)


def reconcile(session: Session, provider: Any) -> Reconciliation:
    """Ledger and payouts vs. the provider: the sandbox's recorded transfers when it keeps them, else
    the transfer ids on our payouts. Listed: a transfer no payout of ours knows (or knows with another
    amount), a payout marked sent whose transfer the provider does not have, and the ledger's
    ``payouts_paid`` / ``payouts_in_transit`` against the payouts' own totals."""
    payouts = list(session.scalars(select(Payout).order_by(Payout.id)))
    balances = ledger.balances(session)
    paid = sum(p.amount_idr for p in payouts if p.status == S.PAID.value)
    in_transit = sum(p.amount_idr for p in payouts if p.status in IN_TRANSIT)
    result = Reconciliation(source="payout transfer ids", paid_idr=paid,
                            ledger_paid_idr=balances.get(ledger.PAYOUTS_PAID, 0),
                            ledger_in_transit_idr=balances.get(ledger.PAYOUTS_IN_TRANSIT, 0))
    recorded = getattr(provider, "recorded_transfers", None)
    by_transfer = {p.transfer_id: p for p in payouts if p.transfer_id}
    if recorded is not None:
        result.source = "sandbox transfers"
        transfers = recorded()
        result.transfers = len(transfers)
        result.transferred_idr = sum(t.amount_idr for t in transfers)
        seen: dict[int, list[str]] = defaultdict(list)
        for t in transfers:
            payout = by_transfer.get(t.transfer_id)
            seen[t.payout_id].append(t.transfer_id)
            if payout is None:
                result.mismatches.append({"kind": "transfer_without_payout", "transfer_id": t.transfer_id,
                                          "payout_id": t.payout_id, "amount_idr": t.amount_idr})
            elif payout.amount_idr != t.amount_idr:
                result.mismatches.append({"kind": "amount_differs", "transfer_id": t.transfer_id,
                                          "payout_id": payout.id, "amount_idr": t.amount_idr,
                                          "expected_idr": payout.amount_idr})
        known = {t.transfer_id for t in transfers}
        for p in payouts:
            if p.status == S.PAID.value and p.provider == "sandbox" and p.transfer_id not in known:
                result.mismatches.append({"kind": "payout_without_transfer", "payout_id": p.id,
                                          "transfer_id": p.transfer_id, "amount_idr": p.amount_idr})
    else:
        result.transfers = len(by_transfer)
        result.transferred_idr = sum(p.amount_idr for p in by_transfer.values())
        for p in payouts:
            if p.status == S.PAID.value and not p.transfer_id:
                result.mismatches.append({"kind": "payout_without_transfer", "payout_id": p.id,
                                          "transfer_id": None, "amount_idr": p.amount_idr})
    if result.ledger_paid_idr != paid:
        result.mismatches.append({"kind": "ledger_paid_differs", "amount_idr": result.ledger_paid_idr,
                                  "expected_idr": paid})
    if result.ledger_in_transit_idr != in_transit:
        result.mismatches.append({"kind": "ledger_in_transit_differs", "amount_idr": result.ledger_in_transit_idr,
                                  "expected_idr": in_transit})
    return result
