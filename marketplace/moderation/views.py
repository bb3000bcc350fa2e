"""Moderation pages (admins): the queue with photos, approve and reject buttons, and each listing's history.

Each decision form carries, in a hidden input, the revision of the listing the page showed. A rejected
form (reason too short), a listing someone else already decided, or one its seller edited since the
page was opened re-renders the queue with the message next to that listing and a 4xx status; the
re-rendered queue shows the listing as it is now, with its new revision in the forms, so the moderator
decides again on what they see.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.i18n import gettext as _
from marketplace.web.forms import load_form, put_messages, show_errors
from marketplace.listings.models import Listing
from marketplace.moderation import reports, schemas, services
from marketplace.moderation.forms import ApproveForm, BulkForm, RejectForm

bp = Blueprint("moderation_pages", __name__)

ADMIN = Role.ADMIN.value


def _queue_page(*, failed_id: int | None = None, form: Any = None, status: int = 200, changed: bool = False,
                bulk_form: Any = None, selected: frozenset[int] = frozenset()) -> Any:
    session = get_session()
    items = services.queue(session)
    if request.args.get("select") == "all":  # "Select all" without script: the same page, every box ticked
        selected = frozenset(listing.id for listing in items)
    return render_template(
        "moderation/queue.html", items=items, reported=reports.reported(session),
        failed_id=failed_id, failed_form=form,
        reject_form=RejectForm(formdata=None), changed=changed,
        bulk_form=bulk_form or BulkForm(formdata=None), selected=selected,
    ), status


def _refused(listing_id: int, form: Any, err: DomainError) -> Any:
    return _queue_page(failed_id=listing_id, form=form, status=show_errors(form, err),
                       changed=err.code == "listing_changed")


@bp.route("/admin/moderation")
@login_required(ADMIN)
def queue() -> Any:
    """Listings waiting for review, oldest first."""
    return _queue_page()


@bp.route("/admin/moderation/<int:listing_id>/approve", methods=["POST"])
@login_required(ADMIN)
def approve(listing_id: int) -> Any:
    """Publish a listing as the page showed it."""
    form = ApproveForm()
    values, status = load_form(form, schemas.ApproveIn())
    if values is None:
        return _queue_page(failed_id=listing_id, form=form, status=status)
    try:
        services.approve(get_session(), require_user(ADMIN), listing_id, values["revision"])
    except DomainError as err:
        return _refused(listing_id, form, err)
    flash(_("The listing is approved and now public."), "info")
    return redirect(url_for(".queue"))


@bp.route("/admin/moderation/<int:listing_id>/reject", methods=["POST"])
@login_required(ADMIN)
def reject(listing_id: int) -> Any:
    """Refuse a listing, as the page showed it, with a reason for the seller."""
    form = RejectForm()
    values, status = load_form(form, schemas.RejectIn())
    if values is None:
        return _queue_page(failed_id=listing_id, form=form, status=status)
    try:
        services.reject(get_session(), require_user(ADMIN), listing_id, values["revision"], values["reason"])
    except DomainError as err:
        return _refused(listing_id, form, err)
    flash(_("The listing is rejected; the seller sees your reason."), "info")
    return redirect(url_for(".queue"))


def _bulk_items(values: list[str]) -> list[dict[str, Any]]:
    """``"<listing id>:<revision>"`` tick boxes as :class:`~marketplace.moderation.schemas.BulkItemIn`
    input; what is not two numbers goes to the schema as it is, and the schema refuses it."""
    def number(text: str) -> int | str | None:
        text = text.strip()
        return int(text) if text.isascii() and text.isdigit() else (text or None)

    items: list[dict[str, Any]] = []
    for value in values:
        listing_id, _sep, revision = value.partition(":")
        items.append({"listing_id": number(listing_id), "revision": number(revision)})
    return items


#: How a bulk result is told (error code → message, flash category); approvals and rejections are "info".
_OUTCOMES = {
    "listing_changed": ("Changed since you looked, nothing decided: review again ({count}): {titles}", "error"),
    "not_pending": ("Already decided by someone else ({count}): {titles}", "error"),
}
_OTHER = ("Not decided ({count}): {titles}", "error")
_NAMED = 8


def _flash_outcomes(results: list[reports.BulkResult]) -> None:
    """One message per outcome, naming the listings: approved/rejected, changed since the page was
    rendered, already decided."""
    session = get_session()
    groups: dict[tuple[str, str], list[str]] = {}
    for result in results:
        listing = session.get(Listing, result.listing_id)
        title = listing.title if listing is not None else f"#{result.listing_id}"
        if result.status_code == 200:
            key = ("Approved ({count}): {titles}" if result.status == services.APPROVED
                   else "Rejected, the sellers see your reason ({count}): {titles}", "info")
        else:
            key = _OUTCOMES.get(result.code or "", _OTHER)
        groups.setdefault(key, []).append(title)
    for (message, category), titles in groups.items():
        # Flashes travel in the session cookie (4 KB): name the first few, count the rest.
        named = ", ".join(titles[:_NAMED]) + (f" … (+{len(titles) - _NAMED})" if len(titles) > _NAMED else "")
        flash(_(message, count=len(titles), titles=named), category)


@bp.route("/admin/moderation/bulk", methods=["POST"])
@login_required(ADMIN)
def bulk() -> Any:
    """Approve or reject the ticked listings, each at the revision the page showed; a listing that
    changed (or was decided) since is left out and named in the messages, the others are decided."""
    form = BulkForm()
    raw = request.form.getlist("items")
    selected = frozenset(item["listing_id"] for item in _bulk_items(raw) if isinstance(item["listing_id"], int))
    if not form.validate():  # the CSRF token
        return _queue_page(bulk_form=form, status=400, selected=selected)
    body = {"action": request.form.get("action", ""), "items": _bulk_items(raw)}
    if (form.reason.data or "").strip():
        body["reason"] = form.reason.data
    try:
        values = schemas.BulkIn().load(body)
    except ValidationError as err:
        put_messages(form, {k: v for k, v in err.normalized_messages().items() if k != "items"})
        if "items" in err.normalized_messages():
            items_errors = err.normalized_messages()["items"]
            form.form_errors.append(items_errors[0] if isinstance(items_errors, list)
                                    and isinstance(items_errors[0], str) else schemas.REVISION_MESSAGE)
        return _queue_page(bulk_form=form, status=422, selected=selected)
    results = reports.bulk_decide(get_session(), require_user(ADMIN), values["action"], values["items"],
                                  values["reason"])
    _flash_outcomes(results)
    return redirect(url_for(".queue"))


@bp.route("/admin/moderation/listings/<int:listing_id>")
@login_required(ADMIN)
def history(listing_id: int) -> Any:
    """A listing and every decision taken on it."""
    listing, decisions = services.history(get_session(), listing_id)
    return render_template("moderation/history.html", listing=listing, decisions=decisions)
