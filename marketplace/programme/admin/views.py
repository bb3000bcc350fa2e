"""The admins' programme event pages: every event and a form to create one; one event's page (edit,
photo, cancel, the shops taking part and applications, who registered); and the phone page at the
door, where a code is typed or scanned to check someone in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, url_for

from marketplace.accounts.models import Role, User
from marketplace.db import end_reads, utcnow
from marketplace.errors import DomainError
from marketplace.programme import forms, participation, registrations, schemas, services
from marketplace.programme.models import SHOP_KINDS
from marketplace.web.auth import login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import CsrfOnly, act_then_redirect, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import discard, get_session

bp = Blueprint("programme_admin_pages", __name__)

ADMIN = Role.ADMIN.value


def _photo(form: Any) -> Any:
    """The form's photo decoded by the media pipeline (outside any transaction), or None."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", None):
        return None
    end_reads(get_session())
    return deps().image_processor.process(upload.read())


def _form_error(form: Any, err: DomainError) -> int:
    if "file" in err.fields:
        err.fields = {**{k: v for k, v in err.fields.items() if k != "file"}, "photo": err.fields["file"]}
    return show_errors(form, err)


@bp.route("/admin/programme", methods=["GET", "POST"])
@login_required(ADMIN)
def index() -> Any:
    """Every event not yet ended (cancelled ones too), and a form to create one."""
    form = forms.EventForm()
    values, status = load_form(form, schemas.ProgrammeEventIn())
    if values is not None:
        try:
            photo = _photo(form)
            session = get_session()
            event = services.create_event(session, require_user(ADMIN), values, now=utcnow())
            if photo is not None:
                services.set_photo(session, deps().media_storage, event.id, photo)
        except DomainError as err:
            status = _form_error(form, err)
        else:
            flash(_("The event is created."), "info")
            return redirect(url_for(".edit", event_id=event.id))
    items = services.list_events(get_session(), now=utcnow(), include_cancelled=True)
    return render_template("programme/admin_index.html", items=items, form=form), status


@bp.route("/admin/programme/<int:event_id>", methods=["GET", "POST"])
@login_required(ADMIN)
def edit(event_id: int) -> Any:
    """One event: edit it (and its photo), cancel it, its shops and who registered."""
    session = get_session()
    event = services.get_event(session, event_id)
    form = forms.EventForm(data=forms.initial(event))
    values, status = load_form(form, schemas.ProgrammeEventPatch())
    if values is not None:
        try:
            photo = _photo(form)
            session = get_session()
            services.update_event(session, require_user(ADMIN), event_id, values, now=utcnow())
            if photo is not None:
                services.set_photo(session, deps().media_storage, event_id, photo)
        except DomainError as err:
            status = _form_error(form, err)
        else:
            flash(_("The event is saved."), "info")
            return redirect(url_for(".edit", event_id=event_id))
    session = get_session()
    view = services.view(session, services.get_event(session, event_id), all_shops=True)
    return render_template(
        "programme/admin_edit.html", event=view, form=form, cancel_form=forms.CancelForm(formdata=None),
        shop_form=forms.ShopForm(formdata=None), button=CsrfOnly(formdata=None),
        people=registrations.attendees(session, event_id), takes_shops=view.kind in SHOP_KINDS), status


@bp.route("/admin/programme/<int:event_id>/cancel", methods=["POST"])
@login_required(ADMIN)
def cancel(event_id: int) -> Any:
    """Cancel the event (with a reason); the registered are told."""
    form = forms.CancelForm()
    values, _status = load_form(form, schemas.ProgrammeCancelIn())
    target = url_for(".edit", event_id=event_id)
    if values is None:
        discard()
        flash(_("Say why, in 3 to 500 characters."), "error")
        return redirect(target)
    return act_then_redirect(lambda: services.cancel_event(get_session(), require_user(ADMIN), event_id,
                                                           values["reason"], now=utcnow()), target)


@bp.route("/admin/programme/<int:event_id>/shops", methods=["POST"])
@login_required(ADMIN)
def add_shop(event_id: int) -> Any:
    """Add a shop (by its number) or accept an application."""
    form = forms.ShopForm()
    values, _status = load_form(form, schemas.ProgrammeShopIn())
    target = url_for(".edit", event_id=event_id) + "#shops"
    if values is None:
        discard()
        flash(_("Enter the shop's number."), "error")
        return redirect(target)
    return act_then_redirect(lambda: participation.add_shop(get_session(), require_user(ADMIN), event_id,
                                                            values["shop_id"], now=utcnow()), target)


@bp.route("/admin/programme/<int:event_id>/shops/<int:shop_id>/remove", methods=["POST"])
@login_required(ADMIN)
def remove_shop(event_id: int, shop_id: int) -> Any:
    """Take a shop off the event (or turn its application down)."""
    target = url_for(".edit", event_id=event_id) + "#shops"
    if not CsrfOnly().validate_on_submit():
        discard()
        return redirect(target)
    return act_then_redirect(lambda: participation.remove_shop(get_session(), event_id, shop_id), target)


@bp.route("/admin/programme/<int:event_id>/check-in", methods=["GET", "POST"])
@login_required(ADMIN)
def check_in(event_id: int) -> Any:
    """The phone page at the door: type or scan a code; the answer says who it is, or why not."""
    session = get_session()
    event = services.view(session, services.get_event(session, event_id))
    form = forms.CheckInForm()
    values, status = load_form(form, schemas.ProgrammeCheckInIn())
    result = None
    if values is not None:
        try:
            registration = registrations.check_in(get_session(), event_id, values["code"], now=utcnow())
        except DomainError as err:
            status = show_errors(form, err)
        else:
            user = get_session().get(User, registration.user_id)
            result = {"name": user.name if user else "", "code": registration.code}
            form = forms.CheckInForm(formdata=None)
        event = services.view(get_session(), services.get_event(get_session(), event_id))
    return render_template("programme/check_in.html", event=event, form=form, result=result), status
