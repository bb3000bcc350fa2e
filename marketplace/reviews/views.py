"""Review pages: the buyer's review form (from the order page), the reviews on listing and shop pages
(template globals, read-only), the shop's reply and users' reports (buttons back to the page), and the
admins' queue of reported reviews. Each form is parsed by the API's schema and handed to one service."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for

from marketplace.accounts.models import Role
from marketplace.db import utcnow
from marketplace.errors import DomainError
from marketplace.orders import services as orders
from marketplace.reviews import forms, schemas, services
from marketplace.reviews.models import MAX_PHOTOS_PER_REVIEW
from marketplace.web.auth import current_user, login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import processed_photos, CsrfOnly, act_then_redirect, flash_refusal, load_form, show_errors
from marketplace.web.i18n import current_locale, gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("reviews_pages", __name__)

ADMIN, ARTISAN, BUYER = Role.ADMIN.value, Role.ARTISAN.value, Role.BUYER.value
PER_PAGE = 10


def stars_text(average: float | None) -> str:
    """``4,5`` in Bahasa Indonesia, ``4.5`` in English (one decimal)."""
    if average is None:
        return ""
    text = f"{average:.1f}"
    return text.replace(".", ",") if current_locale() == "id" else text


@bp.app_template_global()
def review_section(*, listing_id: int | None = None, shop_id: int | None = None) -> dict[str, Any]:
    """What a listing or shop page shows of its reviews: figures, distribution, one page (``?ulasan=N``)."""
    session = get_session()
    raw = request.args.get("ulasan", "1")
    page_no = min(int(raw), 10_000) if raw.isdigit() and int(raw) > 0 else 1
    summary = services.summary(session, listing_id=listing_id, shop_id=shop_id)
    items, total = services.page(session, listing_id=listing_id, shop_id=shop_id, page_no=page_no, per_page=PER_PAGE)
    user = current_user()
    return {"summary": summary, "average_text": stars_text(summary.average), "items": items, "total": total,
            "page": page_no, "pages": max(1, (total + PER_PAGE - 1) // PER_PAGE), "user": user,
            "display_name": services.display_name}


@bp.app_template_global()
def review_states(order: Any) -> dict[int, Any]:
    """The order page: per item, its review (a ``Review``), ``"open"`` (the buyer may write one now) or
    nothing (not delivered, or the window closed)."""
    item_ids = [item.id for part in order.seller_orders for item in part.items]
    reviewed = services.reviews_of_items(get_session(), item_ids)
    window, now = deps().settings.review_window_days, utcnow()
    states: dict[int, Any] = {}
    for part in order.seller_orders:
        for item in part.items:
            opens = services.review_opens(item, window)
            if item.id in reviewed:
                states[item.id] = reviewed[item.id]
            elif opens is not None and now <= opens[1]:
                states[item.id] = "open"
    return states


def _item(order: Any, item_id: int) -> Any:
    for part in order.seller_orders:
        for item in part.items:
            if item.id == item_id:
                return item
    abort(404)


def _processed_photos(form: Any) -> list[Any]:
    return processed_photos(form.photos, MAX_PHOTOS_PER_REVIEW, services.TOO_MANY_PHOTOS)


@bp.route("/orders/<int:order_id>/items/<int:item_id>/review", methods=["GET", "POST"])
@login_required(BUYER)
def write_review(order_id: int, item_id: int) -> Any:
    """The buyer rates an item of their delivered order, with words and up to five photos."""
    session, buyer = get_session(), require_user(BUYER)
    order = orders.get_for_buyer(session, buyer, order_id)
    item = _item(order, item_id)
    listing_id, title, state = item.listing_id, item.title, review_states(order).get(item_id)
    form = forms.ReviewForm()
    values, status = load_form(form, schemas.ReviewIn(exclude=("order_item_id",)))
    if values is not None:
        try:
            photos = _processed_photos(form)
            session = get_session()
            review = services.post_review(session, require_user(BUYER), listing_id, {**values, "order_item_id": item_id},
                                          now=utcnow(), window_days=deps().settings.review_window_days)
            for photo in photos:
                services.add_photo(session, deps().media_storage, require_user(BUYER), review.id, photo)
        except DomainError as err:
            if "file" in err.fields or err.code in ("unsupported_media_type", "payload_too_large", "media_busy",
                                                   "media_unavailable", "invalid_image"):
                err.fields = {"photos": err.fields.get("file") or [err.message]}
            status = show_errors(form, err)
        else:
            flash(_("Thank you for your review!"), "info")
            return redirect(url_for("catalog_pages.listing", listing_id=listing_id) + f"#review-{review.id}")
    return render_template("reviews/write.html", form=form, order_id=order_id, item_id=item_id, title=title,
                           listing_id=listing_id, state=state,
                           review_window_days=deps().settings.review_window_days), status


def _back() -> str:
    target = request.form.get("next", "")
    return target if target.startswith("/") and not target.startswith("//") else url_for("catalog_pages.home")


@bp.route("/reviews/<int:review_id>/reply", methods=["POST"])
@login_required(ARTISAN)
def reply(review_id: int) -> Any:
    """The shop's one reply, from the review on its listing or shop page."""
    form = forms.ReplyForm()
    values, _status = load_form(form, schemas.ReviewReplyIn())
    target = _back() + f"#review-{review_id}"
    if values is None:
        flash(_(schemas.REPLY_MESSAGE), "error")
        return redirect(target)
    return act_then_redirect(lambda: services.reply(get_session(), require_user(ARTISAN), review_id, values["text"],
                                                    now=utcnow()), target)


@bp.route("/reviews/<int:review_id>/report", methods=["POST"])
@login_required()
def report(review_id: int) -> Any:
    """A logged-in user reports a review (once); the answer is a message on the page."""
    form = forms.ReasonForm()
    values, _status = load_form(form, schemas.ReviewReportIn())
    target = _back() + f"#review-{review_id}"
    if values is None:
        flash(_("Tell us what is wrong, in 3 to 1000 characters."), "error")
        return redirect(target)
    try:
        services.report(get_session(), require_user(), review_id, values["reason"], now=utcnow())
    except DomainError as err:
        flash_refusal(err)
        return redirect(target)
    flash(_("Thank you: our team will look at this review."), "info")
    return redirect(target)


@bp.route("/admin/reviews")
@login_required(ADMIN)
def admin_queue() -> Any:
    """Reported reviews, the most reported first, with the reasons: hide (with a reason) or keep."""
    return render_template("reviews/admin.html", items=services.reported(get_session()), button=CsrfOnly(),
                           display_name=services.display_name)


@bp.route("/admin/reviews/<int:review_id>/hide", methods=["POST"])
@login_required(ADMIN)
def admin_hide(review_id: int) -> Any:
    """Hide a reported review with a reason (kept and audited)."""
    form = forms.ReasonForm()
    values, _status = load_form(form, schemas.ReviewHideIn())
    if values is None:
        discard()
        flash(_(schemas.REASON_MESSAGE), "error")
        return redirect(url_for(".admin_queue"))
    return act_then_redirect(lambda: services.hide(get_session(), require_user(ADMIN), review_id, values["reason"],
                                                   now=utcnow()), url_for(".admin_queue"))


@bp.route("/admin/reviews/<int:review_id>/dismiss", methods=["POST"])
@login_required(ADMIN)
def admin_dismiss(review_id: int) -> Any:
    """Keep a reported review: close its reports."""
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(url_for(".admin_queue"))
    return act_then_redirect(lambda: services.dismiss_reports(get_session(), require_user(ADMIN), review_id,
                                                              now=utcnow()), url_for(".admin_queue"))
