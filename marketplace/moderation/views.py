"""Moderation pages (admins): the queue with photos, approve and reject buttons, and each listing's history.

Each decision form carries, in a hidden input, the revision of the listing the page showed. A rejected
form (reason too short), a listing someone else already decided, or one its seller edited since the
page was opened re-renders the queue with the message next to that listing and a 4xx status; the
re-rendered queue shows the listing as it is now, with its new revision in the forms, so the moderator
decides again on what they see.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from marketplace.accounts.models import Role
from marketplace.accounts.security import login_required, require_user
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.i18n import gettext as _
from marketplace.forms import load_form, show_errors
from marketplace.moderation import reports, schemas, services
from marketplace.moderation.forms import ApproveForm, RejectForm

bp = Blueprint("moderation_pages", __name__)

ADMIN = Role.ADMIN.value


def _queue_page(*, failed_id: int | None = None, form: Any = None, status: int = 200, changed: bool = False) -> Any:
    session = get_session()
    session.rollback()
    return render_template(
        "moderation/queue.html", items=services.queue(session), reported=reports.reported(session),
        failed_id=failed_id, failed_form=form,
        reject_form=RejectForm(formdata=None), changed=changed,
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


@bp.route("/admin/moderation/listings/<int:listing_id>")
@login_required(ADMIN)
def history(listing_id: int) -> Any:
    """A listing and every decision taken on it."""
    listing, decisions = services.history(get_session(), listing_id)
    return render_template("moderation/history.html", listing=listing, decisions=decisions)
