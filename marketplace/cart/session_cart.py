"""A visitor's cart, kept in the Flask session until they log in (then folded into their account).

The session holds ``session["cart"] = {key: {"quantity": n, "seen_price_idr": p}}`` (key ``"<listing id>"``,
or ``"<listing id>:<variant id>"`` for a variant: :func:`~marketplace.cart.services.visitor_key`), the
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


def _entries(cookie: Cookie) -> dict[services.LineKey, tuple[int, int]]:
    return services.visitor_entries(stored(cookie))


def _save(cookie: Cookie, entries: dict[services.LineKey, tuple[int, int]]) -> None:
    cookie[KEY] = {services.visitor_key(i, v): {"quantity": q, "seen_price_idr": p} for (i, v), (q, p) in entries.items()}


def item_count(cookie: Cookie) -> int:
    return sum(quantity for quantity, _price in _entries(cookie).values())


def read(cookie: Cookie, db: Session) -> services.Cart:
    return services.visitor_cart(db, stored(cookie))


def add(cookie: Cookie, db: Session, listing_id: int, quantity: int, variant_id: int | None = None) -> None:
    """Add ``quantity`` to what the visitor's cart holds (the current price is accepted), as
    :func:`services.add_item` does for an account (a listing with variants needs one named)."""
    listing = services.listing_for_sale(db, listing_id)
    variant = services.variant_for_sale(listing, variant_id)
    key = (listing_id, variant.id if variant is not None else 0)
    entries = _entries(cookie)
    total = quantity + entries.get(key, (0, 0))[0]
    services.check_addition(listing, total, new_line=key not in entries, lines=len(entries), variant=variant)
    entries[key] = (total, variant.price_idr if variant is not None else listing.price_idr)
    _save(cookie, entries)


def set_quantity(cookie: Cookie, db: Session, listing_id: int, quantity: int, variant_id: int | None = None) -> None:
    """Change a line's quantity and accept the current price; 404 if it is not in the cart."""
    entries = _entries(cookie)
    key = (listing_id, variant_id or 0)
    if key not in entries:
        raise NotFound("This product is not in your cart.")
    listing = services.listing_for_sale(db, listing_id)
    variant = services.variant_for_sale(listing, variant_id)
    services.check_stock(listing, quantity, variant)
    entries[key] = (quantity, variant.price_idr if variant is not None else listing.price_idr)
    _save(cookie, entries)


def remove(cookie: Cookie, listing_id: int, variant_id: int | None = None) -> None:
    """Take a line out of the cart; 404 if it is not there."""
    entries = _entries(cookie)
    if entries.pop((listing_id, variant_id or 0), None) is None:
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
