"""Shop pages: the public shop page, the artisan's open-shop form, dashboard and edit form, and the
admins' suspend and reinstate buttons.

The dashboard (the shop, the seller's listings, the count of public ones) and the public shop page
(the shop and the catalogue search narrowed to it) are composed here from read-only queries of the
shops, listings and catalog features, so no service module needs another feature's services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for
from sqlalchemy import select

from marketplace.accounts.models import Role, User
from marketplace.web.auth import current_user, login_required, require_user
from marketplace.catalog import services as catalog
from marketplace.catalog.schemas import MAX_PAGE, ListingCard
from marketplace.web.transaction import WRITE_METHODS, get_session
from marketplace.errors import DomainError, Forbidden, Unauthorized
from marketplace.web.forms import CsrfOnly, act_then_redirect, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.listings.views import seller_listings_context
from marketplace.shops import admin, places, schemas, services
from marketplace.shops.forms import ShopForm, SuspendForm
from marketplace.shops.models import Shop

bp = Blueprint("shops_pages", __name__)

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


@bp.route("/seller/shop/new", methods=["GET", "POST"])
@login_required(ARTISAN)
def new_shop() -> Any:
    """Open your shop (artisans only; if you already have one, go to the dashboard)."""
    session = get_session()
    user = require_user(ARTISAN)
    if services.get_shop_for_owner(session, user.id) is not None:
        return redirect(url_for("shops_pages.dashboard"))
    form = ShopForm()
    values, status = load_form(form, schemas.ShopIn())
    if values is not None:
        try:
            shop = services.create_shop(session, user, **values)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            flash(_("Your shop {name} is open. Add your first product.", name=shop.name), "info")
            return redirect(url_for("shops_pages.dashboard"))
    return render_template("shops/form.html", form=form, editing=False), status


@bp.route("/seller/shop/edit", methods=["GET", "POST"])
@login_required(ARTISAN)
def edit_shop() -> Any:
    """Edit your shop's name, description and place."""
    session = get_session()
    shop = services.get_shop_for_owner(session, require_user(ARTISAN).id)
    if shop is None:
        return redirect(url_for("shops_pages.new_shop"))
    form = ShopForm(obj=shop)
    # The page sends every field, so the whole-shop rules apply (city and kelurahan checked together).
    values, status = load_form(form, schemas.ShopIn())
    if values is not None:
        try:
            services.update_shop(session, shop, values)
        except DomainError as err:
            status = show_errors(form, err)
        else:
            return redirect(url_for("shops_pages.dashboard"))
    return render_template("shops/form.html", form=form, editing=True, shop=shop), status


@bp.route("/seller")
@login_required(ARTISAN)
def dashboard() -> Any:
    """The artisan's shop and listings, with the way to add a listing."""
    session, user = get_session(), require_user(ARTISAN)
    shop = services.get_shop_for_owner(session, user.id)
    if shop is None:
        return redirect(url_for("shops_pages.new_shop"))
    return render_template(
        "shops/dashboard.html",
        shop=shop,
        **seller_listings_context(session, user.id),  # the listings partial's context
        approved_count=services.approved_listing_count(session, shop.id),
    )


@bp.route("/shops/<slug>")
def show(slug: str) -> Any:
    """A shop's public page: who and where they are, and their approved listings."""
    raw_page = request.args.get("page", "1")
    page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
    session = get_session()
    shop = services.get_shop_by_slug(session, slug)
    result = catalog.search(session, catalog.SearchParams(shop_id=shop.id, sort="newest", page=page))
    return render_template(
        "shops/show.html", shop=shop, kecamatan=places.kecamatan_of(shop.city, shop.kelurahan),
        result={**result.page_info(), "items": ListingCard(many=True).dump(result.items)},
    )


# --- the admins' suspension of a shop (the shops list with these buttons is ``sentra_pages.admin_shops``)


@bp.route("/admin/shops/<int:shop_id>/suspend", methods=["POST"])
@login_required(ADMIN)
def suspend(shop_id: int) -> Any:
    """Suspend a shop, with a reason."""
    form = SuspendForm()
    values, _status = load_form(form, schemas.SuspendIn())
    if values is None:
        flash(_("Give a reason of 3 to 1000 characters."), "error")
        return redirect(url_for("sentra_pages.admin_shops"))
    return act_then_redirect(lambda: admin.suspend(get_session(), require_user(ADMIN), shop_id, values["reason"]), url_for("sentra_pages.admin_shops"))


@bp.route("/admin/shops/<int:shop_id>/reinstate", methods=["POST"])
@login_required(ADMIN)
def reinstate(shop_id: int) -> Any:
    """Lift a shop's suspension."""
    if not CsrfOnly().validate_on_submit():
        return redirect(url_for("sentra_pages.admin_shops"))
    return act_then_redirect(lambda: admin.reinstate(get_session(), require_user(ADMIN), shop_id), url_for("sentra_pages.admin_shops"))


# --- what a suspended shop's artisan may still do ----------------------------------------------------
# What a suspended shop's artisan may still do: fulfil the orders already placed, nothing else.
#
# Issue #13: "open orders are unaffected and still paid out". So a suspension does not lock the artisan
# out (``users.is_active`` stays true; it ends their sessions and tokens once, so every browser meets the
# news at its next login). Logged in again, they may read anything they could read before, and of the
# requests that change something (POST, PUT, PATCH, DELETE) only those of ``ALLOWED``: ship or cancel a
# seller order (page and API), log out, change the password, set mail preferences. Everything else is
# 403 ``shop_suspended`` at the authentication check every such route makes (``login_required``,
# ``api_auth``, ``require_user``) — deny by default, so a route added later is covered:
# creating or editing listings and photos, editing the shop, and connecting or changing the payout
# account (a suspension is often about fraud, and a new bank account is exactly what must not change
# while the team looks; payouts to the account already connected go on).
#
# Every page of a suspended shop's artisan carries a banner saying so and why (``suspended_shop`` in
# the templates' context). One indexed query per artisan request; none for anyone else.

SUSPENDED_MESSAGE = ("Your shop is suspended: you can still ship or cancel the orders already placed, "
                     "but nothing else can be changed until the Pasar Kreatif team reinstates it.")

#: Endpoints (``blueprint.view``) that change something and stay open to a suspended shop's artisan.
ALLOWED = frozenset({
    "fulfilment_pages.ship", "fulfilment_pages.cancel", "fulfilment_api.ship", "fulfilment_api.cancel",
    "accounts_pages.logout", "accounts_pages.account", "accounts_api.revoke_token", "accounts_api.change_password",
    "notifications_pages.preferences",
})


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
    """A write guard (``marketplace.web.auth``, run for every authenticated change): a change
    by a suspended shop's artisan outside ``ALLOWED`` is 403."""
    if user.role != Role.ARTISAN.value or request.method not in WRITE_METHODS or request.endpoint in ALLOWED:
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


# A suspended shop's artisan: only fulfilment stays open, and every page says why (app-wide hooks).
bp.record_once(init_guard)
bp.app_context_processor(banner_context)
