"""Favourites and follows pages: the heart on product cards and pages and the follow button on shop pages
(plain form POSTs that come back to the page they were pressed on, so they work without JavaScript;
visitors get a link to log in that brings them back), "Favorit saya" and "Toko yang diikuti"."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, g, redirect, render_template, request, url_for

from marketplace.catalog.schemas import ListingCard
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.follows import services
from marketplace.web.auth import current_user, login_required, require_user
from marketplace.web.forms import CsrfOnly, flash_refusal
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("follows_pages", __name__)


@bp.app_template_global()
def viewer() -> Any:
    """The logged-in visitor (or None) for macros imported without the page's context (product cards)."""
    return current_user()


@bp.app_template_global()
def hearted(listing_id: int) -> bool:
    """Whether the visitor hearted the listing (their hearts read once per request)."""
    if "hearted_ids" not in g:
        g.hearted_ids = services.favourite_ids(get_session(), current_user())
    return listing_id in g.hearted_ids


@bp.app_template_global()
def follows_shop(shop_id: int) -> bool:
    return services.is_following(get_session(), current_user(), shop_id)


def _back(default: str) -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else default


def _toggle(add: Any, remove: Any, default: str, added: str, removed: str) -> Any:
    target = _back(default)
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    try:
        if request.form.get("action") == "remove":
            remove()
            flash(_(removed), "info")
        else:
            add()
            flash(_(added), "info")
    except DomainError as err:
        flash_refusal(err)
    return redirect(target)


@bp.route("/favourites/<int:listing_id>", methods=["POST"])
@login_required()
def toggle_favourite(listing_id: int) -> Any:
    """Heart or un-heart a listing, then back to the page the button was on."""
    session, user = get_session(), require_user()
    return _toggle(lambda: services.favourite(session, user, listing_id, now=utcnow()),
                   lambda: services.unfavourite(session, user, listing_id),
                   url_for("catalog_pages.listing", listing_id=listing_id),
                   "Saved to your favourites.", "Removed from your favourites.")


@bp.route("/following/<int:shop_id>", methods=["POST"])
@login_required()
def toggle_following(shop_id: int) -> Any:
    """Follow or stop following a shop, then back to the page the button was on."""
    session, user = get_session(), require_user()
    return _toggle(lambda: services.follow(session, user, shop_id, now=utcnow()),
                   lambda: services.unfollow(session, user, shop_id), url_for(".following_page"),
                   "You follow this shop: its new products will reach you.", "You no longer follow this shop.")


@bp.route("/favorit")
@login_required()
def favourites_page() -> Any:
    """Favorit saya: the hearted listings still on sale."""
    items = ListingCard(many=True).dump(services.favourites(get_session(), require_user()))
    return render_template("follows/favourites.html", items=items)


@bp.route("/toko-diikuti")
@login_required()
def following_page() -> Any:
    """Toko yang diikuti: the followed shops and their new products."""
    session, user = get_session(), require_user()
    return render_template("follows/following.html", shops=services.following(session, user),
                           updates=ListingCard(many=True).dump(services.updates(session, user)))
