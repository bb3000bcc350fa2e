"""The payment page ``/orders/<id>/pay`` (the order's buyer only; anyone else gets 404).

Stripe: the Stripe.js Payment Element mounted with the intent's client secret (card, QRIS, GoPay as
Stripe offers them). Sandbox: a clearly marked test card form and a QRIS code drawn here (segno, SVG)
with a "simulate scan" button; both forms call :func:`marketplace.payments.services.sandbox_pay`, the
service behind the API's ``sandbox-pay``, and come back here. The page refreshes itself while there is
something to wait for: the payments worker making the intent ("preparing"), or the sandbox's webhook
on its way to ``/webhooks/stripe`` ("processing", as after Stripe.js's redirect); then it shows the
order paid, or cancelled with the decline.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, redirect, render_template, url_for

from marketplace.web.auth import login_required, require_user
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError, NotFound
from marketplace.web.forms import flash_refusal, show_errors
from marketplace.orders import services as orders
from marketplace.payments import services
from marketplace.payments import attempts
from marketplace.payments.forms import MethodForm, QrisScanForm, SimulateForm, TestCardForm
from marketplace.payments.methods import METHODS, grouped
from marketplace.web.errors import status_for
from marketplace.web.deps import deps
from marketplace.media.qr import qr_data_uri

bp = Blueprint("payments_pages", __name__)


def _qr_image(payload: str | None) -> str | None:
    """A ``data:`` URI of the QR code of ``payload`` (drawn locally: nothing leaves the server)."""
    return qr_data_uri(payload)


def _page(order_id: int, *, card_form: Any = None, status: int = 200) -> Any:
    session = get_session()
    order = orders.get_for_buyer(session, require_user(), order_id)
    payment = services.payment_for_order(session, order.id)
    settings = deps().settings
    gateway = deps().payment_gateway
    processing = payment is not None and services.payment_processing(session, order.id)
    shown = attempts.present_payment(payment) or {}
    action = shown.get("action") or {}
    offered = frozenset(code for code in gateway.methods if METHODS[code].allows(order.total_idr)
                        and (code != "card" or gateway.default_form))
    return render_template(
        "payments/pay.html", order=order, payment=payment, processing=processing,
        card_form=card_form or TestCardForm(formdata=None), qris_form=QrisScanForm(formdata=None),
        qr_image=_qr_image(payment.qr_payload) if payment and payment.method is None else None,
        stripe_publishable_key=settings.stripe_publishable_key,
        action=action, method=METHODS.get(payment.method) if payment and payment.method else None,
        action_qr=_qr_image(action.get("qr_string")) if action.get("type") == "qr" else None,
        groups=grouped(offered), default_form=gateway.default_form, sandbox=gateway.accepts_test_payments,
        method_form=MethodForm(formdata=None), simulate_form=SimulateForm(formdata=None),
    ), status


@bp.route("/orders/<int:order_id>/pay")
@login_required()
def pay(order_id: int) -> Any:
    """The order's total and the ways to pay it."""
    return _page(order_id)


def _pay(order_id: int, form: Any, **how: str | None) -> Any:
    try:
        services.sandbox_pay(get_session(), deps().payment_gateway, require_user(), order_id, now=utcnow(), **how)
    except NotFound:
        raise
    except DomainError as err:
        if isinstance(form, TestCardForm):
            return _page(order_id, card_form=form, status=show_errors(form, err))
        flash_refusal(err)
        return _page(order_id, status=status_for(err))
    return redirect(url_for(".pay", order_id=order_id))


@bp.route("/orders/<int:order_id>/pay/card", methods=["POST"])
@login_required()
def pay_card(order_id: int) -> Any:
    """Pay on the sandbox with a test card."""
    form = TestCardForm()
    if not form.validate_on_submit():
        return _page(order_id, card_form=form, status=422)
    return _pay(order_id, form, card_number=form.card_number.data)


@bp.route("/orders/<int:order_id>/pay/method", methods=["POST"])
@login_required()
def choose_method(order_id: int) -> Any:
    """Choose (or change) how to pay; the payments worker prepares it and this page shows what to do."""
    form = MethodForm()
    if not form.validate_on_submit():
        return _page(order_id, status=422)
    try:
        attempts.choose_method(get_session(), deps().payment_gateway, require_user(), order_id, form.method.data,
                               now=utcnow())
    except NotFound:
        raise
    except DomainError as err:
        flash_refusal(err)
        return _page(order_id, status=status_for(err))
    return redirect(url_for(".pay", order_id=order_id))


@bp.route("/orders/<int:order_id>/pay/simulate", methods=["POST"])
@login_required()
def simulate(order_id: int) -> Any:
    """The sandbox: pay the chosen method as the bank or e-wallet would (a VA transfer, an approval, a scan)."""
    form = SimulateForm()
    if not form.validate_on_submit():
        return _page(order_id, status=400)
    payment = services.payment_for_order(get_session(), order_id)
    return _pay(order_id, form, method=payment.method if payment is not None else None)


@bp.route("/orders/<int:order_id>/pay/sandbox-wallet")
@login_required()
def sandbox_wallet(order_id: int) -> Any:
    """The sandbox's e-wallet approval page (where DANA, ShopeePay or GoPay would send the buyer)."""
    if not deps().payment_gateway.accepts_test_payments:
        raise NotFound("Not found.")
    return _page(order_id)


@bp.route("/orders/<int:order_id>/pay/qris", methods=["POST"])
@login_required()
def pay_qris(order_id: int) -> Any:
    """Simulate the buyer's wallet scanning the sandbox QRIS code."""
    form = QrisScanForm()
    if not form.validate_on_submit():
        return _page(order_id, status=400)
    return _pay(order_id, form, method="qris")
