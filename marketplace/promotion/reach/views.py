"""Promotion reach pages: the artisan's share kit (images to download and a caption to copy) and the
admins' figures per channel. Thin: the same schema and functions as the API."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.web.forms import CsrfOnly, act_then_redirect
from marketplace.web.transaction import get_session
from marketplace.web.deps import deps
from marketplace.errors import DomainError
from marketplace.promotion.reach import schemas
from marketplace.promotion.reach.services import ShareKitNotDrawn, draw_share_kit, figures_for, share_kit_for

bp = Blueprint("promotion_reach_pages", __name__)

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


@bp.route("/seller/listings/<int:listing_id>/share-kit")
@login_required(ARTISAN)
def share_kit(listing_id: int) -> Any:
    """The listing's square and story images and caption, to post on the artisan's own accounts; a
    listing not approved yet shows why there is no kit (409); a kit not drawn yet (the worker draws it
    on approval) shows a button that draws it now."""
    try:
        kit = share_kit_for(get_session(), deps().settings, deps().media_storage, require_user(ARTISAN), listing_id)
    except ShareKitNotDrawn:
        return render_template("promotion/share_kit.html", kit=None, drawable=True, listing_id=listing_id,
                               form=CsrfOnly())
    except DomainError as err:
        if err.code != "not_approved":
            raise
        return render_template("promotion/share_kit.html", kit=None, drawable=False, listing_id=listing_id), 409
    return render_template("promotion/share_kit.html", kit=kit, listing_id=listing_id)


@bp.route("/seller/listings/<int:listing_id>/share-kit", methods=["POST"])
@login_required(ARTISAN)
def draw(listing_id: int) -> Any:
    """Draw the kit now (the button of a kit not drawn yet), then show it."""
    target = url_for(".share_kit", listing_id=listing_id)
    if not CsrfOnly().validate_on_submit():
        return redirect(target)
    return act_then_redirect(lambda: draw_share_kit(get_session(), deps().settings, deps().media_storage,
                                                    require_user(ARTISAN), listing_id), target)


@bp.route("/admin/promotions/figures")
@login_required(ADMIN)
def figures() -> Any:
    """Visits, orders and their value per channel over a period (``?from=&to=``)."""
    try:
        query = schemas.FiguresQuery(unknown=EXCLUDE).load(request.args.to_dict())
    except ValidationError as err:
        return render_template("promotion/figures.html", result=None, errors=err.messages,
                               args=request.args), 422
    since, until = schemas.period(query)
    result = figures_for(get_session(), deps().settings, since, until)
    return render_template("promotion/figures.html", result=result, errors={}, args=request.args)
