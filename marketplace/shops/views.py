"""Shop pages: the public shop page, and the artisan's open-shop form, dashboard and edit form."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.accounts.security import login_required, require_user
from marketplace.catalog.schemas import MAX_PAGE
from marketplace.catalog.services import media_url_from_app
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.forms import show_errors
from marketplace.shops import services
from marketplace.shops.forms import ShopForm

bp = Blueprint("shops_pages", __name__)

ARTISAN = Role.ARTISAN.value


@bp.route("/seller/shop/new", methods=["GET", "POST"])
@login_required(ARTISAN)
def new_shop() -> Any:
    """Open your shop (artisans only; if you already have one, go to the dashboard)."""
    session = get_session()
    user = require_user(ARTISAN)
    if services.get_shop_for_owner(session, user.id) is not None:
        return redirect(url_for("shops_pages.dashboard"))
    form = ShopForm()
    status = 200
    if form.validate_on_submit():
        try:
            services.create_shop(session, user, **form.values())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            return redirect(url_for("shops_pages.dashboard"))
    elif request.method == "POST":
        status = 400
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
    status = 200
    if form.validate_on_submit():
        try:
            services.update_shop(session, shop, form.values())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            return redirect(url_for("shops_pages.dashboard"))
    elif request.method == "POST":
        status = 400
    return render_template("shops/form.html", form=form, editing=True, shop=shop), status


@bp.route("/seller")
@login_required(ARTISAN)
def dashboard() -> Any:
    """The artisan's shop and listings, with the way to add a listing."""
    data = services.seller_dashboard(get_session(), require_user(ARTISAN).id, media_url=media_url_from_app())
    if data is None:
        return redirect(url_for("shops_pages.new_shop"))
    return render_template("shops/dashboard.html", **data)


@bp.route("/shops/<slug>")
def show(slug: str) -> Any:
    """A shop's public page: who and where they are, and their approved listings."""
    raw_page = request.args.get("page", "1")
    page = min(int(raw_page), MAX_PAGE) if raw_page.isdigit() and int(raw_page) > 0 else 1
    data = services.shop_page(get_session(), slug, page=page, media_url=media_url_from_app())
    return render_template("shops/show.html", **data)
