"""Shop pages: the public shop page, the artisan's open-shop form, dashboard and edit form, and the
admins' suspend and reinstate buttons.

The dashboard (the shop, the seller's listings, the count of public ones) and the public shop page
(the shop and the catalogue search narrowed to it) are composed here from read-only queries of the
shops, listings and catalog features, so no service module needs another feature's services.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.accounts.security import login_required, require_user
from marketplace.catalog import services as catalog
from marketplace.catalog.schemas import MAX_PAGE, ListingCard
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.web.forms import CsrfOnly, load_form, show_errors
from marketplace.i18n import gettext as _
from marketplace.listings.views import seller_listings_context
from marketplace.shops import admin, places, schemas, services, suspension
from marketplace.shops.forms import ShopForm, SuspendForm

bp = Blueprint("shops_pages", __name__)
# A suspended shop's artisan: only fulfilment stays open, and every page says why (app-wide hooks).
bp.record_once(suspension.init_guard)
bp.app_context_processor(suspension.banner_context)

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


def _suspension_action(action: Any) -> Any:
    try:
        action()
    except DomainError as err:
        get_session().rollback()
        flash(_(err.message), "error")
    else:
        flash(_("Done."), "info")
    return redirect(url_for("sentra_pages.admin_shops"))


@bp.route("/admin/shops/<int:shop_id>/suspend", methods=["POST"])
@login_required(ADMIN)
def suspend(shop_id: int) -> Any:
    """Suspend a shop, with a reason."""
    form = SuspendForm()
    values, _status = load_form(form, schemas.SuspendIn())
    if values is None:
        flash(_("Give a reason of 3 to 1000 characters."), "error")
        return redirect(url_for("sentra_pages.admin_shops"))
    return _suspension_action(lambda: admin.suspend(get_session(), require_user(ADMIN), shop_id, values["reason"]))


@bp.route("/admin/shops/<int:shop_id>/reinstate", methods=["POST"])
@login_required(ADMIN)
def reinstate(shop_id: int) -> Any:
    """Lift a shop's suspension."""
    if not CsrfOnly().validate_on_submit():
        return redirect(url_for("sentra_pages.admin_shops"))
    return _suspension_action(lambda: admin.reinstate(get_session(), require_user(ADMIN), shop_id))
