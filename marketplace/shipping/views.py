"""Shipping pages: the artisan books the courier from the orders page (a button per parcel) and prints
the parcel's label (A6: sender, recipient, courier, service, waybill and the items, no prices)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, url_for

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.orders.models import SellerOrder
from marketplace.shipping import tracking
from marketplace.web.auth import login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import CsrfOnly
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import get_session

bp = Blueprint("shipping_pages", __name__)

ARTISAN = Role.ARTISAN.value


@bp.route("/seller/orders/<int:seller_order_id>/book", methods=["POST"])
@login_required(ARTISAN)
def book(seller_order_id: int) -> Any:
    """Book the courier the buyer chose; back to the orders page with the waybill or the reason."""
    if not CsrfOnly().validate_on_submit():
        abort(400)
    try:
        part = tracking.book_courier(get_session(), require_user(ARTISAN), seller_order_id, deps().shipping_provider,
                                     now=utcnow())
    except DomainError as err:
        flash(_(err.message), "error")
        return redirect(url_for("fulfilment_pages.seller_orders") + f"#seller-order-{seller_order_id}")
    flash(_("Courier booked. Waybill {waybill}: print the label and stick it on the parcel.",
            waybill=part.tracking_number), "info")
    return redirect(url_for("fulfilment_pages.seller_orders") + f"#seller-order-{seller_order_id}")


@bp.route("/seller/orders/<int:seller_order_id>/label")
@login_required(ARTISAN)
def label(seller_order_id: int) -> Any:
    """The printable A6 label of a shipped parcel of the artisan's shop (404 for anyone else's)."""
    part = get_session().get(SellerOrder, seller_order_id)
    if part is None or part.shop.owner_id != require_user(ARTISAN).id or not part.tracking_number:
        abort(404)
    return render_template("shipping/label.html", part=part, order=part.order, shop=part.shop)
