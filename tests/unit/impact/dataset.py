"""A small marketplace for January 2026 (WIB) whose impact figures are worked out by hand in the tests.

Shops: A (Tangerang Selatan, Cipayung; Banten) and B (Bekasi, Kranji; Jawa Barat), both opened in the
period; C (Tangerang Selatan, Serua) opened before it, which only lists. Orders (commission 10 %):

- O1 buyer 1 → Tangerang Selatan: A 100.000 + 10.000, shipped after 24 h (inside city and province);
- O2 buyer 1 → Bandung, Jawa Barat: A 200.000 + 20.000 shipped after 48 h (outside city and province),
  B 50.000 + 5.000 not shipped (outside city, inside province);
- O3 buyer 2 → Jakarta: A 300.000, refunded whole (counts as nothing);
- O4 buyer 2 → " bekasi" (inside city, spelled loosely): B 80.000 + 8.000, 30.000 refunded, shipped after 72 h;
- O5 buyer 3: A 999.000, cancelled unpaid (counts as nothing);
- O6 buyer 3 → Surabaya, Jawa Timur: B 40.000 + 4.000, paid 31 Dec 17:30 UTC = 1 Jan 00:30 WIB (inside);
- O7 buyer 3 → Tangerang Selatan: A 10.000, paid 31 Jan 17:30 UTC = 1 Feb WIB (outside the period).

Moderation: C's listing approved 6 h after submission; A's listing rejected 10 h after submission.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

from sqlalchemy.orm import Session

from marketplace.ledger.services import record_order_paid, record_refund
from marketplace.moderation.models import ModerationDecision
from marketplace.orders.models import Order, SellerOrder
from marketplace.payments.models import Refund
from tests import factories

FIRST, LAST = date(2026, 1, 1), date(2026, 1, 31)
QUERY = "from=2026-01-01&to=2026-01-31"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=timezone.utc)


def _order(session: Session, buyer, city: str, province: str, parts, *, paid_at=None, status="paid"):  # noqa: ANN001
    subtotal = sum(p[1] for p in parts)
    shipping = sum(p[2] for p in parts)
    order = Order(buyer_id=buyer.id, status=status, subtotal_idr=subtotal, shipping_idr=shipping,
                  total_idr=subtotal + shipping, recipient="Siti", phone="081234567890", line1="Jl. Melati 1",
                  city=city, province=province, postal_code="15411", created_at=paid_at or utc(2026, 1, 3),
                  payment_due_at=(paid_at or utc(2026, 1, 3)) + timedelta(hours=1), paid_at=paid_at,
                  seller_orders=[SellerOrder(shop_id=shop.id, subtotal_idr=sub, shipping_idr=ship, shipping_zone="java",
                                             weight_grams=500, status="awaiting_shipment" if paid_at else "cancelled",
                                             shipped_at=(paid_at + timedelta(hours=hours)) if hours else None)
                                 for shop, sub, ship, hours in parts])
    session.add(order)
    session.flush()
    if paid_at is not None:
        record_order_paid(session, order, commission_bps=1000, now=paid_at)
    return order


def _refund(session: Session, order, amount: int, seller_order=None) -> None:  # noqa: ANN001
    refund = Refund(order_id=order.id, seller_order_id=seller_order.id if seller_order else None, amount_idr=amount,
                    reason="rusak", status="succeeded", succeeded_at=utc(2026, 2, 2))
    session.add(refund)
    session.flush()
    record_refund(session, order, refund, now=utc(2026, 2, 2))


def seed(session: Session) -> dict[str, object]:
    opened = utc(2026, 1, 2)
    a = factories.shop(session, city="Tangerang Selatan", kelurahan="Cipayung", created_at=opened)
    b = factories.shop(session, city="Bekasi", kelurahan="Kranji", created_at=opened)
    c = factories.shop(session, city="Tangerang Selatan", kelurahan="Serua", created_at=utc(2025, 6, 1))
    admin = factories.user(session, "admin")
    approved = factories.listing(session, c.owner, status="approved")
    approved.created_at, approved.submitted_at, approved.approved_at = utc(2026, 1, 3), utc(2026, 1, 3), utc(2026, 1, 3, 6)
    rejected = factories.listing(session, a.owner, status="rejected")
    rejected.created_at, rejected.submitted_at = utc(2025, 12, 1), utc(2026, 1, 4)
    old = factories.listing(session, b.owner, status="pending_review")
    old.created_at, old.submitted_at = utc(2025, 11, 1), utc(2025, 11, 1)
    session.add_all([
        ModerationDecision(listing_id=approved.id, moderator_id=admin.id, decision="approved", decided_at=utc(2026, 1, 3, 6)),
        ModerationDecision(listing_id=rejected.id, moderator_id=admin.id, decision="rejected", reason="foto buram",
                           decided_at=utc(2026, 1, 4, 10)),
    ])
    buyers = [factories.user(session, "buyer") for _ in range(3)]
    _order(session, buyers[0], "Tangerang Selatan", "Banten", [(a, 100_000, 10_000, 24)], paid_at=utc(2026, 1, 5, 10))
    _order(session, buyers[0], "Bandung", "Jawa Barat", [(a, 200_000, 20_000, 48), (b, 50_000, 5_000, None)],
           paid_at=utc(2026, 1, 10, 3))
    o3 = _order(session, buyers[1], "Jakarta Selatan", "DKI Jakarta", [(a, 300_000, 0, None)],
                paid_at=utc(2026, 1, 15), status="refunded")
    _refund(session, o3, 300_000)
    o4 = _order(session, buyers[1], " bekasi", "Jawa Barat", [(b, 80_000, 8_000, 72)], paid_at=utc(2026, 1, 20))
    _refund(session, o4, 30_000, o4.seller_orders[0])
    _order(session, buyers[2], "Tangerang Selatan", "Banten", [(a, 999_000, 0, None)], status="cancelled")
    _order(session, buyers[2], "Surabaya", "Jawa Timur", [(b, 40_000, 4_000, None)], paid_at=utc(2025, 12, 31, 17, 30))
    _order(session, buyers[2], "Tangerang Selatan", "Banten", [(a, 10_000, 0, None)], paid_at=utc(2026, 1, 31, 17, 30))
    session.flush()
    return {"a": a, "b": b, "c": c}
