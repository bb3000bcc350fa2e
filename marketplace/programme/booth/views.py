"""Booth sale pages, for the artisan's phone at a festival or market (390 px first):

- ``/seller/booth``: the events the artisan's shop is accepted at, those on now first.
- ``/seller/booth/<event_id>``: ring up a sale — every approved product (each variant a row) with a
  quantity box, the total (worked out as one types, by ``booth.js``; and on the next page without
  script); the same service as ``POST /api/v1/seller/booth-orders``.
- ``/seller/booth/sales/<order_id>``: the QRIS code to show the buyer (drawn here from the attempt's
  ``qr_string``, as the payment page draws it: nothing leaves the server), refreshing itself until the
  payment lands, then the receipt. On the sandbox a button pays it as the scanning buyer's app would.
- ``/seller/booth/sales/<order_id>/receipt``: shop, event, items, total, time paid and order number,
  for the buyer to photograph.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.media.qr import qr_data_uri
from marketplace.orders.models import OrderStatus
from marketplace.payments import services as payments
from marketplace.payments.attempts import present_payment
from marketplace.programme.booth import services
from marketplace.programme.booth.events import booth_events
from marketplace.web.auth import login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.errors import status_for
from marketplace.web.forms import CsrfOnly, flash_refusal
from marketplace.web.transaction import discard, get_session

bp = Blueprint("booth_pages", __name__)

ARTISAN = Role.ARTISAN.value
PAID = (OrderStatus.PAID.value, OrderStatus.COMPLETED.value)


@bp.route("/seller/booth")
@login_required(ARTISAN)
def index() -> Any:
    """The festivals and markets the artisan's shop takes part in, with a link to ring up a sale."""
    now = utcnow()
    events = booth_events(get_session(), require_user(ARTISAN), now=now)
    return render_template("programme/booth/index.html", events=events, now=now)


def _wanted(form: Any) -> tuple[list[services.Wanted], bool]:
    """The quantity boxes (``q-<listing id>-<variant id or 0>``) → the lines wanted; and whether any
    box held something that is not a whole number from 0 to the limit."""
    wanted: list[services.Wanted] = []
    bad = False
    for name, raw in form.items():
        parts = name.split("-")
        if len(parts) != 3 or parts[0] != "q" or not all(p.isascii() and p.isdigit() and len(p) <= 9 for p in parts[1:]):
            continue
        text = raw.strip()
        if text in ("", "0"):
            continue
        if not (text.isascii() and text.isdigit() and 0 < int(text) <= services.MAX_QUANTITY):
            bad = True
            continue
        listing_id, variant_id = int(parts[1]), int(parts[2])
        if listing_id > 0:
            wanted.append(services.Wanted(listing_id, variant_id or None, int(text)))
    return wanted, bad


@bp.route("/seller/booth/<int:event_id>", methods=["GET", "POST"])
@login_required(ARTISAN)
def ring_up(event_id: int) -> Any:
    """Pick products and variants and their quantities; "Show QRIS" rings the sale up."""
    session, artisan, now = get_session(), require_user(ARTISAN), utcnow()
    event, shop = services.booth_shop(session, artisan, event_id)  # 404 / 403 as the API
    form = CsrfOnly()
    error, status, entered, problems = None, 200, {}, {}
    if request.method == "POST":
        entered = {k: v for k, v in request.form.items() if k.startswith("q-")}
        wanted, bad = _wanted(request.form)
        if not form.validate_on_submit():
            error, status = "The form expired; please try again.", 400
        elif bad:
            error, status = f"Enter whole numbers from 0 to {services.MAX_QUANTITY}.", 422
        elif not wanted:
            error, status = "Enter the quantity of at least one product.", 422
        else:
            settings = deps().settings
            try:
                order = services.ring_up(session, deps().payment_gateway, artisan, event_id, wanted, now=now,
                                         payment_ttl=timedelta(minutes=settings.order_payment_ttl_minutes))
            except DomainError as err:
                discard()
                error, status = err.message, status_for(err)
                rows = [f"q-{w.listing_id}-{w.variant_id or 0}" for w in wanted]
                problems = {rows[int(name.split(".")[1])]: messages for name, messages in err.fields.items()
                            if name.startswith("items.") and name.split(".")[1].isdigit()
                            and int(name.split(".")[1]) < len(rows)}
            else:
                return redirect(url_for(".sale", order_id=order.id))
    products = services.sellable(session, shop)
    is_open = event.status != "cancelled" and event.starts_at <= now < event.ends_at
    return render_template("programme/booth/ring_up.html", event=event, shop=shop, products=products, form=form,
                           error=error, entered=entered, problems=problems, is_open=is_open), status


@bp.route("/seller/booth/sales/<int:order_id>")
@login_required(ARTISAN)
def sale(order_id: int) -> Any:
    """The QRIS code for the buyer to scan, until the payment lands; then the receipt."""
    session = get_session()
    order = services.get_sale(session, require_user(ARTISAN), order_id)
    if order.status in PAID:
        return redirect(url_for(".receipt", order_id=order.id))
    payment = payments.payment_for_order(session, order.id)
    shown = present_payment(payment) or {}
    action = shown.get("action") or {}
    return render_template(
        "programme/booth/sale.html", sale=services.receipt(session, order), payment=payment, action=action,
        qr=qr_data_uri(action.get("qr_string"), scale=6) if action.get("type") == "qr" else None,
        processing=payment is not None and payments.payment_processing(session, order.id),
        sandbox=deps().payment_gateway.accepts_test_payments, button=CsrfOnly(formdata=None))


@bp.route("/seller/booth/sales/<int:order_id>/sandbox-pay", methods=["POST"])
@login_required(ARTISAN)
def sandbox_pay(order_id: int) -> Any:
    """The sandbox: pay the QRIS code as the buyer's banking app would after scanning it."""
    target = url_for(".sale", order_id=order_id)
    artisan = require_user(ARTISAN)
    services.get_sale(get_session(), artisan, order_id)  # 404 for anything but the artisan's booth sale
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    try:
        payments.sandbox_pay(get_session(), deps().payment_gateway, artisan, order_id, method=services.METHOD,
                             now=utcnow())
    except DomainError as err:
        flash_refusal(err)
    return redirect(target)


@bp.route("/seller/booth/sales/<int:order_id>/receipt")
@login_required(ARTISAN)
def receipt(order_id: int) -> Any:
    """The receipt of a paid booth sale (before payment: back to the QRIS code)."""
    session = get_session()
    order = services.get_sale(session, require_user(ARTISAN), order_id)
    if order.status not in PAID:
        return redirect(url_for(".sale", order_id=order.id))
    return render_template("programme/booth/receipt.html", sale=services.receipt(session, order))
