"""What a suspended shop's artisan may still do: fulfil the orders already placed, nothing else.

Issue #13: "open orders are unaffected and still paid out". So a suspension does not lock the artisan
out (``users.is_active`` stays true; it ends their sessions and tokens once, so every browser meets the
news at its next login). Logged in again, they may read anything they could read before, and of the
requests that change something (POST, PUT, PATCH, DELETE) only those of ``ALLOWED``: ship or cancel a
seller order (page and API), log out, change the password, set mail preferences. Everything else is
403 ``shop_suspended`` at the authentication check every such route makes (``login_required``,
``api_auth``, ``require_user``) — deny by default, so a route added later is covered:
creating or editing listings and photos, editing the shop, and connecting or changing the payout
account (a suspension is often about fraud, and a new bank account is exactly what must not change
while the team looks; payouts to the account already connected go on).

Every page of a suspended shop's artisan carries a banner saying so and why (``suspended_shop`` in
the templates' context). One indexed query per artisan request; none for anyone else.
"""

from __future__ import annotations

from typing import Any

from flask import g, request
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.accounts.security import current_user
from marketplace.db import get_session
from marketplace.errors import Forbidden, Unauthorized
from marketplace.shops.models import Shop

SUSPENDED_MESSAGE = ("Your shop is suspended: you can still ship or cancel the orders already placed, "
                     "but nothing else can be changed until the Pasar Kreatif team reinstates it.")

#: Endpoints (``blueprint.view``) that change something and stay open to a suspended shop's artisan.
ALLOWED = frozenset({
    "fulfilment_pages.ship", "fulfilment_pages.cancel", "fulfilment_api.ship", "fulfilment_api.cancel",
    "accounts_pages.logout", "accounts_pages.account", "accounts_api.revoke_token", "accounts_api.change_password",
    "notifications_pages.preferences",
})
_WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class ShopSuspended(Forbidden):
    code = "shop_suspended"


def _user() -> User | None:
    try:
        return current_user()
    except Unauthorized:  # a bad token: the view answers 401 itself
        return None


def suspended_shop() -> Shop | None:
    """The current user's shop when it is suspended (cached for the request), else None."""
    if "suspended_shop" in g:
        return g.suspended_shop
    user = _user()
    shop = None
    if user is not None and user.role == Role.ARTISAN.value:
        shop = get_session().scalar(select(Shop).where(Shop.owner_id == user.id, Shop.suspended_at.is_not(None)))
    g.suspended_shop = shop
    return shop


def refuse_other_writes(user: User) -> None:
    """A write guard (``marketplace.accounts.security``, run for every authenticated change): a change
    by a suspended shop's artisan outside ``ALLOWED`` is 403."""
    if user.role != Role.ARTISAN.value or request.method not in _WRITES or request.endpoint in ALLOWED:
        return
    if suspended_shop() is not None:
        raise ShopSuspended(SUSPENDED_MESSAGE)


def init_guard(state: Any) -> None:
    """``record_once``: register :func:`refuse_other_writes` with the app's write guards."""
    state.app.extensions.setdefault("write_guards", []).append(refuse_other_writes)


def banner_context() -> dict[str, Any]:
    """``app_context_processor``: ``suspended_shop`` for the banner in ``base.html``."""
    if request.path.startswith("/api/"):
        return {}
    return {"suspended_shop": suspended_shop()}
