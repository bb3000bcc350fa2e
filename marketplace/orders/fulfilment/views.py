"""Fulfilment pages: the artisan's orders to ship (ship with courier and tracking, or cancel before
shipping), and the admins' order search with its refund button. Thin: parse the form with its
schema, call one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.forms import CsrfOnly, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.orders import schemas, services
from marketplace.orders.fulfilment import services as fulfilment
from marketplace.orders.fulfilment.forms import CancelForm, RefundForm, ShipForm
from marketplace.shipping import tracking
from marketplace.web.deps import deps
from marketplace.orders.models import OrderStatus
from marketplace.payments import refunds
from marketplace.payments import schemas as payment_schemas

bp = Blueprint("fulfilment_pages", __name__)

ARTISAN, ADMIN = Role.ARTISAN.value, Role.ADMIN.value


def _seller_page(*, failed_id: int | None = None, form: Any = None, status: int = 200) -> Any:
    parts = fulfilment.seller_orders(get_session(), require_user(ARTISAN))
    return render_template(
        "fulfilment/seller_orders.html", parts=parts, failed_id=failed_id, failed_form=form,
        tracking=tracking.histories(get_session(), [p.id for p in parts]), can_book=deps().shipping_provider.books,
        ship_form=ShipForm(formdata=None), cancel_form=CancelForm(formdata=None),
    ), status


@bp.route("/seller/orders")
@login_required(ARTISAN)
def seller_orders() -> Any:
    """Paid orders of the artisan's shop: those to ship first, by the date to ship by."""
    return _seller_page()


@bp.route("/seller/orders/<int:seller_order_id>/ship", methods=["POST"])
@login_required(ARTISAN)
def ship(seller_order_id: int) -> Any:
    """Mark a parcel shipped with its courier and tracking number."""
    form = ShipForm()
    values, status = load_form(form, schemas.ShipIn())
    if values is None:
        return _seller_page(failed_id=seller_order_id, form=form, status=status)
    try:
        fulfilment.ship(get_session(), require_user(ARTISAN), seller_order_id, now=utcnow(),
                        courier=values["courier"], tracking_number=values["tracking_number"])
    except DomainError as err:
        return _seller_page(failed_id=seller_order_id, form=form, status=show_errors(form, err))
    flash(_("Marked as shipped; the buyer can follow the parcel."), "info")
    return redirect(url_for(".seller_orders"))


@bp.route("/seller/orders/<int:seller_order_id>/cancel", methods=["POST"])
@login_required(ARTISAN)
def cancel(seller_order_id: int) -> Any:
    """Cancel a paid order before shipping: its stock goes back and the buyer is refunded for it."""
    form = CancelForm()
    values, status = load_form(form, schemas.CancelIn())
    if values is None:
        return _seller_page(failed_id=seller_order_id, form=form, status=status)
    try:
        fulfilment.cancel_part(get_session(), require_user(ARTISAN), seller_order_id, reason=values["reason"],
                               now=utcnow())
    except DomainError as err:
        return _seller_page(failed_id=seller_order_id, form=form, status=show_errors(form, err))
    flash(_("The order is cancelled and its stock is back on sale."), "info")
    return redirect(url_for(".seller_orders"))


@bp.route("/seller-orders/<int:seller_order_id>/received", methods=["POST"])
@login_required(Role.BUYER.value)
def confirm_delivery(seller_order_id: int) -> Any:
    """The buyer got the parcel: the artisan's part is delivered (and the order complete once all are)."""
    if not CsrfOnly().validate_on_submit():
        return redirect(url_for("orders_pages.my_orders"))
    part = fulfilment.confirm_delivery(get_session(), require_user(Role.BUYER.value), seller_order_id, now=utcnow())
    flash(_("Thank you! The artisan is told that the parcel arrived."), "info")
    return redirect(url_for("orders_pages.order", order_id=part.order_id))


@bp.route("/admin/orders")
@login_required(ADMIN)
def admin_orders() -> Any:
    """Find orders by status, order number, buyer name or e-mail, or recipient; refund a paid one."""
    return _admin_page()


def _admin_page(*, failed_id: int | None = None, form: Any = None, status: int = 200) -> Any:
    errors: dict[str, Any] = {}
    try:
        query = schemas.AdminOrdersQuery().load({k: v for k, v in request.args.items() if v.strip()})
    except ValidationError as err:  # shown above the results, which then are unfiltered
        errors, query = err.normalized_messages(), {}
    found = services.search(get_session(), status=query.get("status"), q=query.get("q"))
    return render_template(
        "fulfilment/admin_orders.html", orders=found, statuses=[s.value for s in OrderStatus],
        args=request.args, errors=errors, refundable=refunds.REFUNDABLE, failed_id=failed_id,
        failed_form=form, refund_form=RefundForm(formdata=None),
    ), (400 if errors else status)


@bp.route("/admin/orders/<int:order_id>/refund", methods=["POST"])
@login_required(ADMIN)
def refund(order_id: int) -> Any:
    """Refund a paid order in full or one seller order; the payment provider confirms it later."""
    form = RefundForm()
    values, status = load_form(form, payment_schemas.RefundIn())
    if values is None:
        return _admin_page(failed_id=order_id, form=form, status=status)
    try:
        refunds.request_refund(get_session(), require_user(ADMIN), order_id,
                               seller_order_id=values["seller_order_id"], reason=values["reason"], now=utcnow())
    except DomainError as err:
        return _admin_page(failed_id=order_id, form=form, status=show_errors(form, err))
    flash(_("Refund requested; the order shows Refunded once the payment provider confirms it."), "info")
    return redirect(url_for(".admin_orders", q=str(order_id)))
