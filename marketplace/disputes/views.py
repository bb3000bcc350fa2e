"""Dispute pages: the buyer opens one from the order page (reason, words, photos) and follows it; the
shop's artisan sees it (from their orders) and answers or refunds; admins work the queue (oldest first,
the unanswered flagged) and decide. One page shows a dispute to all three, with the actions of the
viewer's role. Each form is parsed by the API's schema and handed to one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.disputes import forms, schemas, services
from marketplace.disputes.models import MAX_PHOTOS_PER_DISPUTE
from marketplace.errors import DomainError
from marketplace.orders import services as orders
from marketplace.payments import refunds
from marketplace.web.auth import login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import processed_photos, CsrfOnly, act_then_redirect, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("disputes_pages", __name__)

ADMIN, ARTISAN, BUYER = Role.ADMIN.value, Role.ARTISAN.value, Role.BUYER.value
PHOTO_ERRORS = ("unsupported_media_type", "payload_too_large", "media_busy", "media_unavailable", "invalid_image")


def _days() -> dict[str, int]:
    settings = deps().settings
    return {"window_days": settings.dispute_window_days, "not_received_days": settings.not_received_days}


@bp.app_template_global()
def dispute_states(order: Any) -> dict[int, Any]:
    """The order page: per seller order, its dispute (a ``Dispute``), ``"open"`` (the buyer may open
    one now) or nothing."""
    found = services.of_seller_orders(get_session(), [so.id for so in order.seller_orders])
    now, days = utcnow(), _days()
    states: dict[int, Any] = {}
    for part in order.seller_orders:
        if part.id in found:
            states[part.id] = found[part.id]
        elif services.may_open(part, now, **days):
            states[part.id] = "open"
    return states


@bp.app_template_global()
def disputes_of_parts(parts: Any) -> dict[int, Any]:
    """The artisan's orders page: each seller order's dispute, if it has one."""
    return services.of_seller_orders(get_session(), [p.id for p in parts])


def _part(order: Any, seller_order_id: int) -> Any:
    part = next((so for so in order.seller_orders if so.id == seller_order_id), None)
    if part is None:
        abort(404)
    return part


def _processed_photos(form: Any) -> list[Any]:
    return processed_photos(form.photos, MAX_PHOTOS_PER_DISPUTE, services.TOO_MANY_PHOTOS)


@bp.route("/orders/<int:order_id>/parts/<int:seller_order_id>/dispute", methods=["GET", "POST"])
@login_required(BUYER)
def open_dispute(order_id: int, seller_order_id: int) -> Any:
    """The buyer opens a dispute about one shop's part of their order, with up to five photos."""
    session, buyer = get_session(), require_user(BUYER)
    order = orders.get_for_buyer(session, buyer, order_id)
    part = _part(order, seller_order_id)
    state = dispute_states(order).get(part.id)
    if state is not None and state != "open":
        return redirect(url_for(".show", dispute_id=state.id))
    form = forms.DisputeForm()
    values, status = load_form(form, schemas.DisputeIn())
    if values is not None:
        try:
            photos = _processed_photos(form)
            session = get_session()
            dispute = services.open_dispute(session, require_user(BUYER), seller_order_id, values, now=utcnow(),
                                            **_days())
            for photo in photos:
                services.add_photo(session, deps().media_storage, require_user(BUYER), dispute.id, photo)
        except DomainError as err:
            if "file" in err.fields or err.code in PHOTO_ERRORS:
                err.fields = {"photos": err.fields.get("file") or [err.message]}
            status = show_errors(form, err)
        else:
            flash(_("Your dispute is open. The artisan has been told."), "info")
            return redirect(url_for(".show", dispute_id=dispute.id))
    return render_template("disputes/open.html", form=form, order=order, part=part, may_open=state == "open",
                           **_days()), status


def _show(dispute_id: int, *, form: Any = None, status: int = 200) -> Any:
    session, user = get_session(), require_user()
    dispute = services.visible_to(session, user, dispute_id)
    part = dispute.seller_order
    is_shop = user.role == ARTISAN and part.shop.owner_id == user.id
    left = refunds.refundable_left(session, part.order, part)
    respond_form = form if isinstance(form, forms.RespondForm) else forms.RespondForm()
    refund_form = form if isinstance(form, forms.RefundForm) else forms.RefundForm(data={"amount_idr": left})
    resolve_form = form if isinstance(form, forms.ResolveForm) else forms.ResolveForm()
    return render_template(
        "disputes/show.html", dispute=dispute, part=part, is_shop=is_shop, is_admin=user.role == ADMIN,
        is_buyer=user.id == dispute.buyer_id, refundable=left, respond_form=respond_form, refund_form=refund_form,
        resolve_form=resolve_form, escalated=services.is_escalated(dispute, utcnow(), deps().settings.dispute_response_days),
        response_days=deps().settings.dispute_response_days), status


@bp.route("/disputes/<int:dispute_id>")
@login_required()
def show(dispute_id: int) -> Any:
    """A dispute, for its buyer, the shop's artisan and admins (404 for anyone else)."""
    return _show(dispute_id)


def _act(dispute_id: int, form: Any, schema: Any, action: Any) -> Any:
    values, status = load_form(form, schema)
    if values is None:
        return _show(dispute_id, form=form, status=status if status != 200 else 422)
    try:
        action(values)
    except DomainError as err:
        return _show(dispute_id, form=form, status=show_errors(form, err))
    flash(_("Done."), "info")
    return redirect(url_for(".show", dispute_id=dispute_id))


@bp.route("/disputes/<int:dispute_id>/escalate", methods=["POST"])
@login_required()
def escalate(dispute_id: int) -> Any:
    """The buyer or the shop's artisan asks an admin to decide."""
    target = url_for(".show", dispute_id=dispute_id)
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    return act_then_redirect(lambda: services.escalate(get_session(), require_user(), dispute_id, now=utcnow()),
                             target)


@bp.route("/seller/disputes/<int:dispute_id>/respond", methods=["POST"])
@login_required(ARTISAN)
def respond(dispute_id: int) -> Any:
    """The shop's answer."""
    return _act(dispute_id, forms.RespondForm(), schemas.DisputeRespondIn(), lambda v: services.respond(
        get_session(), require_user(ARTISAN), dispute_id, v["text"], now=utcnow()))


@bp.route("/seller/disputes/<int:dispute_id>/refund", methods=["POST"])
@login_required(ARTISAN)
def refund(dispute_id: int) -> Any:
    """The shop refunds all or part of what the buyer paid."""
    return _act(dispute_id, forms.RefundForm(), schemas.DisputeRefundIn(), lambda v: services.refund_by_artisan(
        get_session(), require_user(ARTISAN), dispute_id, v["amount_idr"], now=utcnow()))


@bp.route("/admin/disputes/<int:dispute_id>/resolve", methods=["POST"])
@login_required(ADMIN)
def resolve(dispute_id: int) -> Any:
    """An admin's decision (refund or reject, with a note)."""
    return _act(dispute_id, forms.ResolveForm(), schemas.DisputeResolveIn(), lambda v: services.resolve(
        get_session(), require_user(ADMIN), dispute_id, v, now=utcnow()))


@bp.route("/seller/disputes")
@login_required(ARTISAN)
def seller_disputes() -> Any:
    """The shop's disputes, open ones first."""
    items = services.of_shop(get_session(), require_user(ARTISAN))
    return render_template("disputes/list.html", items=items, admin=False, status=None, now=utcnow(), escalated=services.is_escalated,
                           response_days=deps().settings.dispute_response_days)


@bp.route("/admin/disputes")
@login_required(ADMIN)
def admin_queue() -> Any:
    """The admins' queue, oldest first; the unanswered past ``DISPUTE_RESPONSE_DAYS`` flagged."""
    status = request.args.get("status", "open")
    if status not in ("open", "resolved", "escalated"):
        status = "open"
    days = deps().settings.dispute_response_days
    items = services.queue(get_session(), status, now=utcnow(), response_days=days)
    return render_template("disputes/list.html", items=items, admin=True, status=status, now=utcnow(), escalated=services.is_escalated,
                           response_days=days)
