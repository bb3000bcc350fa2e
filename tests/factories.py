"""Rows for service tests, made straight through the ORM in the caller's session (no commit)."""

from __future__ import annotations

import itertools
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.models import User
from marketplace.listings.models import Listing
from marketplace.shops.models import Shop

_n = itertools.count(1)


def user(session: Session, role: str = "buyer", **overrides: Any) -> User:
    n = next(_n)
    row = User(email=f"{role}{n}@example.id", name=f"{role.title()} {n}", password_hash="x", role=role)
    for name, value in overrides.items():
        setattr(row, name, value)
    session.add(row)
    session.flush()
    return row


def shop(session: Session, owner: User | None = None, **overrides: Any) -> Shop:
    owner = owner or user(session, "artisan")
    n = next(_n)
    values = {"name": f"Toko {n}", "slug": f"toko-{n}", "city": "Tangerang Selatan", "kelurahan": "Cipayung"}
    row = Shop(owner_id=owner.id, **{**values, **overrides})
    session.add(row)
    session.flush()
    return row


def listing_values(**overrides: Any) -> dict[str, Any]:
    return {
        "title": "Kain batik tulis Ciputat", "description": "Batik tulis pewarna alam.", "category": "batik",
        "price_idr": 350_000, "stock": 3, "weight_grams": 400, **overrides,
    }


def listing(session: Session, owner: User, *, status: str = "pending_review", **overrides: Any) -> Listing:
    """A listing created by the real service (with its events), optionally moved to ``status``."""
    from marketplace.listings import services as listings

    row = listings.create_listing(session, owner, listing_values(**overrides))
    row.status = status
    session.flush()
    return row
