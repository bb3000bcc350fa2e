"""Voucher use cases: shops and admins create and edit codes; a buyer applies one to the cart; checkout
reserves its use with the order; cancellation or expiry releases it (ARCHITECTURE.md §4 Vouchers).

Who pays (``rules`` computes the amounts):

- a **shop** voucher lowers its seller order's ``subtotal_idr`` (the artisan's sale): commission is
  taken on the discounted subtotal and the artisan's payable falls with it (``discount_idr`` records what
  came off, ``subsidy_idr`` stays 0);
- a **programme** voucher leaves each seller order's subtotal as it was and records its share in
  ``discount_idr`` and ``subsidy_idr``: the buyer pays that much less, the ledger's ``programme_subsidy``
  pays it (``ledger.services.record_order_paid``), commission and payable are what they would be without it.

Either way the order's ``subtotal_idr`` is what the buyer pays for the items (prices less discount),
``discount_idr`` what came off, and ``total_idr = subtotal_idr + shipping_idr`` what the gateway charges.

**Uses are race-safe**: a checkout takes a use with one conditional ``UPDATE`` of the voucher's
``uses_count`` (``… WHERE uses_count < max_uses``), as stock is taken; the database serialises the
writers, so of two buyers racing for the last use exactly one gets it (the other's checkout is refused
and rolled back). The per-buyer count is read *after* that update, which waited for any concurrent
checkout of the same voucher to commit, so it sees that buyer's other use too.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.errors import NotFound, ValidationFailed
from marketplace.orders.models import Order
from marketplace.sentra.models import Sentra
from marketplace.vouchers import rules
from marketplace.vouchers.models import FundedBy, Kind, UseStatus, Voucher, VoucherUse

CODE_TAKEN = "This code is already taken."
PERCENT_MESSAGE = "A percentage is at most 100."
WINDOW_MESSAGE = "The end must be after the start."
SENTRA_MESSAGE = "There is no such sentra."

RESERVED = UseStatus.RESERVED.value


class VoucherInvalid(ValidationFailed):
    """The code does not apply (422 ``voucher_invalid``; ``fields.code`` holds the reason)."""

    code = "voucher_invalid"

    def __init__(self, reason: str):
        super().__init__(rules.MESSAGES[reason], fields={"code": [reason]})
        self.reason = reason


def normalise(code: str) -> str:
    """Codes are compared case-insensitively: stored and looked up upper-case."""
    return code.strip().upper()


def find(session: Session, code: str) -> Voucher | None:
    return session.scalar(select(Voucher).where(Voucher.code == normalise(code)))


# --- shops and admins ----------------------------------------------------------------------------------


def create(session: Session, actor: User, data: dict[str, Any], *, shop_id: int | None, now: datetime) -> Voucher:
    """A new voucher: a shop's (``shop_id``) or, with ``shop_id`` None, the programme's. ``data`` passed
    its schema (``schemas.VoucherIn``); the rules that join fields or need the database are here."""
    _check(session, data, None)
    voucher = Voucher(**{**data, "code": normalise(data["code"])},
                      funded_by=(FundedBy.SHOP if shop_id is not None else FundedBy.PROGRAMME).value,
                      shop_id=shop_id, created_by=actor.id, created_at=now, updated_at=now)
    session.add(voucher)
    session.flush()
    return voucher


def update_voucher(session: Session, voucher: Voucher, data: dict[str, Any], *, now: datetime) -> Voucher:
    """Change some fields (pause with ``paused``); the joined rules are checked on the result."""
    _check(session, data, voucher)
    for key, value in data.items():
        setattr(voucher, key, normalise(value) if key == "code" else value)
    voucher.updated_at = now
    session.flush()
    return voucher


def _check(session: Session, data: dict[str, Any], voucher: Voucher | None) -> None:
    """422 naming the field: a code taken (any case), a percentage over 100, an end before the start."""
    def value(key: str) -> Any:
        return data[key] if key in data else getattr(voucher, key, None)

    errors: dict[str, list[str]] = {}
    if "code" in data:
        taken = session.scalar(select(Voucher.id).where(Voucher.code == normalise(data["code"])))
        if taken is not None and (voucher is None or taken != voucher.id):
            errors["code"] = [CODE_TAKEN]
    if value("kind") == Kind.PERCENT.value and (value("value") or 0) > 100:
        errors["value"] = [PERCENT_MESSAGE]
    if value("starts_at") is not None and value("ends_at") is not None and value("ends_at") <= value("starts_at"):
        errors["ends_at"] = [WINDOW_MESSAGE]
    if data.get("sentra_id") is not None and session.get(Sentra, data["sentra_id"]) is None:
        errors["sentra_id"] = [SENTRA_MESSAGE]
    if errors:
        raise ValidationFailed(fields=errors)


def get_for_shop(session: Session, voucher_id: int, shop_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.shop_id != shop_id:
        raise NotFound("No such voucher.")
    return voucher


def get_programme(session: Session, voucher_id: int) -> Voucher:
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.funded_by != FundedBy.PROGRAMME.value:
        raise NotFound("No such voucher.")
    return voucher


@dataclass(frozen=True)
class VoucherView:
    """A voucher with its figures: live uses and the rupiah its live uses gave."""

    voucher: Voucher
    given_idr: int

    def __getattr__(self, name: str) -> Any:
        return getattr(self.voucher, name)


def list_vouchers(session: Session, *, shop_id: int | None) -> list[VoucherView]:
    """A shop's vouchers (``shop_id``) or the programme's (None), newest first, with their figures."""
    owner = Voucher.shop_id == shop_id if shop_id is not None else Voucher.funded_by == FundedBy.PROGRAMME.value
    given = (select(VoucherUse.voucher_id, func.sum(VoucherUse.discount_idr).label("given"))
             .where(VoucherUse.status == RESERVED).group_by(VoucherUse.voucher_id).subquery())
    rows = session.execute(select(Voucher, func.coalesce(given.c.given, 0))
                           .outerjoin(given, given.c.voucher_id == Voucher.id)
                           .where(owner).order_by(Voucher.id.desc()))
    return [VoucherView(voucher, int(amount)) for voucher, amount in rows]


def view(session: Session, voucher: Voucher) -> VoucherView:
    given = session.scalar(select(func.coalesce(func.sum(VoucherUse.discount_idr), 0))
                           .where(VoucherUse.voucher_id == voucher.id, VoucherUse.status == RESERVED))
    return VoucherView(voucher, int(given or 0))


# --- the buyer's cart ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class CartDiscount:
    """The applied code's effect on the cart now: its shares, or why it does not apply."""

    code: str
    funded_by: str
    shares: list[rules.Share]
    reason: str | None

    def discounts(self) -> list[dict[str, Any]]:
        """The cart answer's ``discounts``: one per shop (``shop_id`` is null for a programme's total)."""
        return [{"code": self.code, "funded_by": self.funded_by, "shop_id": share.shop_id,
                 "amount_idr": share.amount_idr} for share in self.shares]

    @property
    def total_idr(self) -> int:
        return sum(share.amount_idr for share in self.shares)


def _reason(session: Session, voucher: Voucher | None, buyer: User, groups: list[Any],
            now: datetime) -> tuple[list[rules.Share], str | None]:
    if voucher is None:
        return [], rules.UNKNOWN
    reason = rules.window_reason(voucher, now)
    if reason is None and voucher.per_buyer is not None and _uses_by(session, voucher.id, buyer.id) >= voucher.per_buyer:
        reason = rules.PER_BUYER_LIMIT
    if reason is not None:
        return [], reason
    return rules.shares_for(voucher, groups)


def apply_to_cart(session: Session, buyer: User, code: str, groups: list[Any], *, now: datetime) -> CartDiscount:
    """Keep ``code`` with the buyer's cart (replacing any other) if it applies to it now; else 422
    ``voucher_invalid`` with the reason, and the cart keeps what it had."""
    voucher = find(session, code)
    shares, reason = _reason(session, voucher, buyer, groups, now)
    if reason is not None:
        raise VoucherInvalid(reason)
    assert voucher is not None
    buyer.cart_voucher_id = voucher.id
    session.flush()
    return CartDiscount(voucher.code, voucher.funded_by, shares, None)


def remove_from_cart(session: Session, buyer: User) -> None:
    if buyer.cart_voucher_id is not None:
        buyer.cart_voucher_id = None
        session.flush()


def cart_discount(session: Session, buyer: User, groups: list[Any], *, now: datetime) -> CartDiscount | None:
    """The applied code (None: none) and what it takes off the cart as it is now, or why it no longer
    applies (the cart shows the reason; checkout would refuse it)."""
    if buyer.cart_voucher_id is None:
        return None
    voucher = session.get(Voucher, buyer.cart_voucher_id)
    if voucher is None:  # deleted since (no foreign key from users)
        return CartDiscount("", FundedBy.PROGRAMME.value, [], rules.UNKNOWN)
    shares, reason = _reason(session, voucher, buyer, groups, now)
    return CartDiscount(voucher.code, voucher.funded_by, shares, reason)


def cart_fields(session: Session, buyer: User, groups: list[Any], *, now: datetime) -> dict[str, Any]:
    """What the cart answer adds (``cart.schemas.CartOut``): the applied code (with the reason it does
    not apply now, if so), its discount per shop and in all."""
    found = cart_discount(session, buyer, groups, now=now)
    if found is None:
        return {"voucher": None, "discounts": [], "discount_idr": 0}
    return {"voucher": {"code": found.code, "reason": found.reason}, "discounts": found.discounts(),
            "discount_idr": found.total_idr}


def _uses_by(session: Session, voucher_id: int, buyer_id: int) -> int:
    return int(session.scalar(select(func.count()).select_from(VoucherUse).where(
        VoucherUse.voucher_id == voucher_id, VoucherUse.buyer_id == buyer_id, VoucherUse.status == RESERVED)) or 0)


# --- checkout, cancellation -------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckoutVoucher:
    """The code a checkout applies and its shares, worked out before the order is written (so the
    order and its seller orders are inserted with their discounts: no follow-up ``UPDATE``)."""

    voucher: Voucher
    shares: list[rules.Share]

    @property
    def total_idr(self) -> int:
        return sum(share.amount_idr for share in self.shares)

    @property
    def programme(self) -> bool:
        return self.voucher.funded_by == FundedBy.PROGRAMME.value

    def seller_fields(self, shop_id: int, subtotal_idr: int) -> dict[str, int]:
        """A seller order's ``subtotal_idr``, ``discount_idr`` and ``subsidy_idr`` with this code (see
        the module doc: a shop voucher lowers the subtotal, a programme voucher is a subsidy)."""
        amount = next((share.amount_idr for share in self.shares if share.shop_id == shop_id), 0)
        if self.programme:
            return {"subtotal_idr": subtotal_idr, "discount_idr": amount, "subsidy_idr": amount}
        return {"subtotal_idr": subtotal_idr - amount, "discount_idr": amount, "subsidy_idr": 0}


def for_checkout(session: Session, buyer: User, groups: list[Any], code: str | None, kept: Voucher | None, *,
                 now: datetime) -> CheckoutVoucher | None:
    """The code a checkout of the cart ``groups`` applies — ``code``, or (None or blank) the code kept
    with the cart (``kept``, loaded with the cart), None if neither — with its shares; 422 ``voucher_invalid`` with the reason when it
    does not apply. Nothing is written: the checkout takes the use with the order
    (:func:`take_use_after_insert` or in its own statement, then :func:`confirm_use`)."""
    if code is None or not code.strip():
        if buyer.cart_voucher_id is None:
            return None
        voucher = kept
    else:
        voucher = find(session, code)
    shares, reason = _reason(session, voucher, buyer, groups, now)
    if reason is not None:
        raise VoucherInvalid(reason)
    assert voucher is not None
    return CheckoutVoucher(voucher, shares)


def take_use_after_insert(session: Session, buyer: User, plan: CheckoutVoucher, order: Order, *,
                          now: datetime) -> bool:
    """Take a use of the voucher and record it for ``order`` (SQLite; PostgreSQL does the same within
    the order's own statement); the code leaves the cart. False when the last use was taken."""
    if not _take_use(session, plan.voucher, now):
        return False
    session.add(VoucherUse(voucher_id=plan.voucher.id, order_id=order.id, buyer_id=buyer.id, status=RESERVED,
                           discount_idr=plan.total_idr, funded_by=plan.voucher.funded_by, created_at=now))
    buyer.cart_voucher_id = None
    session.flush()
    return True


def confirm_use(session: Session, buyer: User, plan: CheckoutVoucher, order: Order, *, taken: bool) -> dict[str, Any]:
    """After the use was taken (``taken``; else 422 ``used_up``): the per-buyer limit, read now — after
    the voucher's row was updated, which waited for any concurrent checkout of it to commit, so this
    count sees the buyer's other use too (the module doc). Returns what ``order.placed`` adds."""
    if not taken:
        raise VoucherInvalid(rules.USED_UP)
    voucher = plan.voucher
    if voucher.per_buyer is not None and _uses_by(session, voucher.id, buyer.id) > voucher.per_buyer:
        raise VoucherInvalid(rules.PER_BUYER_LIMIT)
    session.expire(voucher, ["uses_count", "updated_at"])
    parts = {part.shop_id: part.id for part in order.seller_orders}
    return {"discount_idr": plan.total_idr, "discounts": [
        {"code": voucher.code, "funded_by": voucher.funded_by, "shop_id": share.shop_id,
         "seller_order_id": parts[share.shop_id], "amount_idr": share.amount_idr} for share in plan.shares]}


def _take_use(session: Session, voucher: Voucher, now: datetime) -> bool:
    """One live use more, if one is left and the voucher is live: the conditional update (see the
    module doc). False when another checkout took the last one."""
    table = Voucher.__table__.c
    taken = session.execute(
        update(Voucher.__table__)
        .where(table.id == voucher.id, table.paused.is_(False), table.starts_at <= now, table.ends_at > now,
               (table.max_uses.is_(None)) | (table.uses_count < table.max_uses))
        .values(uses_count=table.uses_count + 1)
        .returning(table.uses_count)).scalar()
    session.expire(voucher, ["uses_count"])
    return taken is not None


def release_for_order(session: Session, order_id: int, *, now: datetime) -> bool:
    """The order was cancelled (declined, expired, cancelled unpaid): its use goes back to the voucher.
    False when it had none (or it was released before)."""
    use = session.scalar(select(VoucherUse).where(VoucherUse.order_id == order_id, VoucherUse.status == RESERVED)
                         .with_for_update())
    if use is None:
        return False
    use.status, use.released_at = UseStatus.RELEASED.value, now
    table = Voucher.__table__.c
    session.execute(update(Voucher.__table__).where(table.id == use.voucher_id, table.uses_count > 0)
                    .values(uses_count=table.uses_count - 1))
    session.flush()
    return True
