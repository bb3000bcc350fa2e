"""A visitor's cart, kept in the Flask session until they log in (then folded into their account).

The session holds ``session["cart"] = {str(listing_id): {"quantity": n, "seen_price_idr": p}}``, the
shape :func:`marketplace.cart.services.visitor_cart` and :func:`~marketplace.cart.services.merge` read.
Changing it follows the account cart's rules, taken from :mod:`marketplace.cart.services` (which
listings can be bought, the stock check, the per-product and per-cart limits), so a visitor and a
buyer are told the same thing. The session is the visitor's cookie: what is read back from it goes
through the service's own filter of well-formed entries.

Each function takes that session as ``cookie`` (any mapping: the views hand in ``flask.session``), so
the rules here know nothing of the web framework.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from sqlalchemy.orm import Session

from marketplace.accounts.models import Role, User
from marketplace.cart import services
from marketplace.errors import NotFound

KEY = "cart"
#: The visitor's session (their cookie's contents).
Cookie = MutableMapping[str, Any]


def stored(cookie: Cookie) -> dict[str, Any]:
    """The visitor's cart as stored in the session (``{}`` when there is none)."""
    value = cookie.get(KEY)
    return value if isinstance(value, dict) else {}


def _entries(cookie: Cookie) -> dict[int, tuple[int, int]]:
    return services.visitor_entries(stored(cookie))


def _save(cookie: Cookie, entries: dict[int, tuple[int, int]]) -> None:
    cookie[KEY] = {str(i): {"quantity": q, "seen_price_idr": p} for i, (q, p) in entries.items()}


def item_count(cookie: Cookie) -> int:
    return sum(quantity for quantity, _price in _entries(cookie).values())


def read(cookie: Cookie, db: Session) -> services.Cart:
    return services.visitor_cart(db, stored(cookie))


def add(cookie: Cookie, db: Session, listing_id: int, quantity: int) -> None:
    """Add ``quantity`` to what the visitor's cart holds (the current price is accepted), as
    :func:`services.add_item` does for an account."""
    listing = services.listing_for_sale(db, listing_id)
    entries = _entries(cookie)
    total = quantity + entries.get(listing_id, (0, 0))[0]
    services.check_addition(listing, total, new_line=listing_id not in entries, lines=len(entries))
    entries[listing_id] = (total, listing.price_idr)
    _save(cookie, entries)


def set_quantity(cookie: Cookie, db: Session, listing_id: int, quantity: int) -> None:
    """Change a line's quantity and accept the current price; 404 if it is not in the cart."""
    entries = _entries(cookie)
    if listing_id not in entries:
        raise NotFound("This product is not in your cart.")
    listing = services.listing_for_sale(db, listing_id)
    services.check_stock(listing, quantity)
    entries[listing_id] = (quantity, listing.price_idr)
    _save(cookie, entries)


def remove(cookie: Cookie, listing_id: int) -> None:
    """Take a line out of the cart; 404 if it is not there."""
    entries = _entries(cookie)
    if entries.pop(listing_id, None) is None:
        raise NotFound("This product is not in your cart.")
    _save(cookie, entries)


def take_out_for(cookie: Cookie, db: Session, user: User) -> dict[str, Any]:
    """At login: the session cart, removed from the session; merged into the account of a buyer.

    Call it before :func:`marketplace.web.auth.log_in` (which clears the session). Artisans
    and admins have no cart: theirs is dropped.
    """
    cart = dict(stored(cookie))
    cookie.pop(KEY, None)
    if cart and user.role == Role.BUYER.value:
        services.merge(db, user, cart)
    return cart
