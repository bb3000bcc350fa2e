"""Admins' operations on a shop: suspend and reinstate its artisan.

A suspension takes the shop's listings out of the catalogue (every catalogue query, the listing page,
the cart and checkout test ``shops.suspended_at``), ends the artisan's sessions and API tokens once
(every browser meets the news at its next login), and is recorded in the audit log. It leaves open
orders alone: the artisan may still log in to ship or cancel what was bought, and is still paid out
for it (payouts look at the seller order, not at the shop's standing); every other change is refused
while the shop is suspended (the suspension guard in :mod:`marketplace.shops.views`). The account itself stays active
(``users.is_active``): the suspension is the shop's. Reinstating puts the listings back and lifts the
limits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.accounts.services import revoke_all_sessions
from marketplace.audit.services import record_admin_action
from marketplace.db import utcnow
from marketplace.errors import Conflict, NotFound
from marketplace.shops.models import Shop


def _lock(session: Session, shop_id: int) -> Shop:
    shop = session.scalar(select(Shop).where(Shop.id == shop_id).with_for_update())
    if shop is None:
        raise NotFound("Shop not found.")
    return shop


def suspend(session: Session, admin: User, shop_id: int, reason: str) -> Shop:
    """Suspend a shop (``reason`` a loaded, trimmed reason); 409 ``already_suspended`` if it is."""
    shop = _lock(session, shop_id)
    if shop.suspended_at is not None:
        raise Conflict("This shop is already suspended.", code="already_suspended")
    shop.suspended_at, shop.suspension_reason = utcnow(), reason
    revoke_all_sessions(session, shop.owner_id)
    session.flush()
    record_admin_action(session, admin, "shop.suspend", "shop", shop.id, {"suspended": False},
                        {"suspended": True, "reason": reason, "suspended_at": shop.suspended_at})
    return shop


def reinstate(session: Session, admin: User, shop_id: int) -> Shop:
    """Lift a suspension: the listings are public again and the artisan may change things again; 409 if
    not suspended."""
    shop = _lock(session, shop_id)
    if shop.suspended_at is None:
        raise Conflict("This shop is not suspended.", code="not_suspended")
    before = {"suspended": True, "reason": shop.suspension_reason, "suspended_at": shop.suspended_at}
    shop.suspended_at, shop.suspension_reason = None, None
    session.flush()
    record_admin_action(session, admin, "shop.reinstate", "shop", shop.id, before, {"suspended": False})
    return shop


def list_shops(session: Session) -> list[Shop]:
    """Every shop for the admins' shops page, suspended ones first."""
    return list(session.scalars(select(Shop).order_by(Shop.suspended_at.is_(None), Shop.name)))
