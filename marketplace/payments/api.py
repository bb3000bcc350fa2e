"""Payments JSON API (§5): the sandbox's pay call (``POST /api/v1/orders/<id>/sandbox-pay``) and an
admin's refund (``POST /api/v1/admin/orders/<id>/refund``: 200 ``refund_pending``; the payments worker
sends it and the gateway's webhook confirms it; 409 when not paid or already refunded).

Only on the sandbox gateway and only for the order's buyer (404 otherwise, as for any order that is
not yours); 409 when the order is not waiting for payment, its intent is not made yet, or an earlier
payment is still on its way. 202 ``processing``: the payment event is queued and the sandbox delivers
it to ``/webhooks/stripe`` as Stripe would, by signed HTTP POST from the payments worker; the order is
``paid`` (or ``cancelled``) once that webhook is applied: poll ``GET /api/v1/orders/<id>``.
"""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth, require_user
from marketplace.web.apidoc import error_responses
from marketplace.db import utcnow
from marketplace.web.transaction import get_session
from marketplace.payments import attempts, manual_refunds, refunds, schemas, services
from marketplace.web.deps import deps

bp = Blueprint("payments_api", __name__, url_prefix="/api/v1", description="Payments")


@bp.route("/orders/<int:order_id>/sandbox-pay", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth()
@bp.arguments(schemas.SandboxPayIn)
@bp.response(202, schemas.SandboxPayOut)
def sandbox_pay(body: dict[str, Any], order_id: int) -> Any:
    """Pay with a test card (4242… succeeds, 4000…0002 is declined) or by QRIS (succeeds)."""
    session = get_session()
    order, outcome = services.sandbox_pay(
        session, deps().payment_gateway, require_user(), order_id,
        card_number=body.get("card_number"), method=body.get("method"), now=utcnow(),
    )
    payment = services.payment_for_order(session, order.id)
    return {"order_id": order.id, "status": order.status, "outcome": outcome,
            "payment": services.present_payment(payment)}


@bp.route("/orders/<int:order_id>/pay", methods=["POST"])
@bp.doc(**error_responses(409, 422))
@api_auth()
@bp.arguments(schemas.PayIn)
@bp.response(202, schemas.PayOut)
def pay(body: dict[str, Any], order_id: int) -> Any:
    """Choose how to pay: the payments worker makes the attempt at the gateway (cancelling the previous
    one there first); ``GET /orders/<id>`` then shows ``payment: {status, method, action, expires_at}``.
    422 ``method_unavailable`` for a method not offered here or not for this amount; 409 once paid or cancelled."""
    payment = attempts.choose_method(get_session(), deps().payment_gateway, require_user(), order_id, body["method"],
                                     now=utcnow())
    return {"order_id": payment.order_id, "method": payment.method, "payment_id": payment.id}


@bp.route("/admin/refunds/<int:refund_id>/manual", methods=["POST"])
@bp.doc(**error_responses(404, 409))
@api_auth(Role.ADMIN.value)
@bp.arguments(schemas.ManualRefundIn)
@bp.response(200, schemas.RefundOut)
def manual_refund(body: dict[str, Any], refund_id: int) -> Any:
    """Record the bank transfer back of a VA payment's pending refund (its bank reference): the refund is
    then confirmed as a gateway's would be (the same ledger). 409 for a refund that is not a VA one or is settled."""
    made = manual_refunds.record_manual_refund(get_session(), require_user(), refund_id,
                                               bank_reference=body["bank_reference"], now=utcnow())
    return refunds.present(made)


@bp.route("/admin/orders/<int:order_id>/refund", methods=["POST"])
@bp.doc(**error_responses(409))
@api_auth(Role.ADMIN.value)
@bp.arguments(schemas.RefundIn)
@bp.response(200, schemas.RefundOut)
def refund(body: dict[str, Any], order_id: int) -> Any:
    """Refund a paid order in full, or one seller order of it (unshipped parts are cancelled, stock returned)."""
    made = refunds.request_refund(get_session(), require_user(), order_id, seller_order_id=body["seller_order_id"],
                                  reason=body["reason"], now=utcnow())
    return refunds.present(made)
