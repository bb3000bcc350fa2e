"""A visitor's cart, kept in the Flask session until they log in (then folded into their account).

The session holds ``session["cart"] = {str(listing_id): {"quantity": n, "seen_price_idr": p}}``, the
shape :func:`marketplace.cart.services.visitor_cart` and :func:`~marketplace.cart.services.merge` read.
Changing it follows the account cart's rules, taken from :mod:`marketplace.cart.services` (which
listings can be bought, the stock check, the per-product and per-cart limits), so a visitor and a
buyer are told the same thing. The session is the visitor's cookie: what is read back from it goes
through the service's own filter of well-formed entries.
"""

from __future__ import annotations

from typing import Any

from flask import session as web_session
from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.cart import services
from marketplace.errors import NotFound

KEY = "cart"


def stored() -> dict[str, Any]:
    """The visitor's cart as stored in the session (``{}`` when there is none)."""
    value = web_session.get(KEY)
    return value if isinstance(value, dict) else {}


def _entries() -> dict[int, tuple[int, int]]:
    return services.visitor_entries(stored())


def _save(entries: dict[int, tuple[int, int]]) -> None:
    web_session[KEY] = {str(i): {"quantity": q, "seen_price_idr": p} for i, (q, p) in entries.items()}


def item_count() -> int:
    return sum(quantity for quantity, _price in _entries().values())


def read(db: Session) -> services.Cart:
    return services.visitor_cart(db, stored())


def add(db: Session, listing_id: int, quantity: int) -> None:
    """Add ``quantity`` to what the visitor's cart holds (the current price is accepted), as
    :func:`services.add_item` does for an account."""
    listing = services.listing_for_sale(db, listing_id)
    entries = _entries()
    total = quantity + entries.get(listing_id, (0, 0))[0]
    services.check_addition(listing, total, new_line=listing_id not in entries, lines=len(entries))
    entries[listing_id] = (total, listing.price_idr)
    _save(entries)


def set_quantity(db: Session, listing_id: int, quantity: int) -> None:
    """Change a line's quantity and accept the current price; 404 if it is not in the cart."""
    entries = _entries()
    if listing_id not in entries:
        raise NotFound("This product is not in your cart.")
    listing = services.listing_for_sale(db, listing_id)
    services.check_stock(listing, quantity)
    entries[listing_id] = (quantity, listing.price_idr)
    _save(entries)


def remove(listing_id: int) -> None:
    """Take a line out of the cart; 404 if it is not there."""
    entries = _entries()
    if entries.pop(listing_id, None) is None:
        raise NotFound("This product is not in your cart.")
    _save(entries)


def take_out_for(db: Session, user: User) -> dict[str, Any]:
    """At login: the session cart, removed from the session; merged into the account of a buyer.

    Call it before :func:`marketplace.accounts.security.log_in` (which clears the session). Artisans
    and admins have no cart: theirs is dropped.
    """
    cart = dict(stored())
    web_session.pop(KEY, None)
    if cart and user.role == Role.BUYER.value:
        services.merge(db, user, cart)
    return cart
