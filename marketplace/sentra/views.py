"""Pages: browse by place of origin (city → kelurahan → sentra), each kelurahan's and sentra's public
page (story, artisans, products), a buyer's report of a listing; and the admins' sentra, shops and
audit-log pages. Thin: a schema (the API's) parses, one service acts, the page renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required, require_user
from marketplace.audit import schemas as audit_schemas, services as audit
from marketplace.catalog import schemas as catalog_schemas, services as catalog
from marketplace.db import MAX_ID, end_reads
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.web.forms import CsrfOnly, act_then_redirect, flash_refusal, load_form, show_errors
from marketplace.web.i18n import gettext as _
from marketplace.moderation import reports, schemas as moderation_schemas
from marketplace.programme import views as programme_views
from marketplace.sentra import forms, schemas, services
from marketplace.shops import admin, places
from marketplace.web.deps import deps

bp = Blueprint("sentra_pages", __name__)

ADMIN = Role.ADMIN.value


def _products(**filters: Any) -> list[dict[str, Any]]:
    result = catalog.search(get_session(), catalog.SearchParams(per_page=48, **filters))
    return catalog_schemas.ListingCard(many=True).dump(result.items)


@bp.route("/places")
def places_index() -> Any:
    """Every city of the programme, its kelurahan and their sentra: where the products come from."""
    by_kelurahan: dict[str, list[Any]] = {}
    for view in services.list_sentra(get_session()):
        by_kelurahan.setdefault(view.kelurahan, []).append(view)
    return render_template("sentra/places.html", cities={c: places.kelurahan_of(c) for c in places.CITIES},
                           sentra=by_kelurahan)


@bp.route("/places/<city>/<kelurahan>")
def kelurahan_page(city: str, kelurahan: str) -> Any:
    """One kelurahan: its sentra, its artisans and their products."""
    canonical = places.canonical_kelurahan(city, kelurahan)
    if canonical is None:
        abort(404)
    city_name = places.canonical_city(city)
    session = get_session()
    return render_template(
        "sentra/kelurahan.html", city=city_name, kelurahan=canonical,
        sentra=services.list_sentra(session, city=city_name, kelurahan=canonical),
        shops=services.shops_in_kelurahan(session, city_name or "", canonical),
        products=_products(city=city_name, kelurahan=canonical),
        events=programme_views.kelurahan_events(city_name or "", canonical),
    )


@bp.route("/sentra/<slug>")
def sentra_page(slug: str) -> Any:
    """One sentra: its story, photo, artisans and their products."""
    session = get_session()
    view = services.get_by_slug(session, slug)
    return render_template("sentra/show.html", sentra=view, shops=services.shops_of(session, view.id),
                           products=_products(sentra_id=view.id), events=programme_views.sentra_events(view.id))


@bp.route("/listings/<int:listing_id>/report", methods=["POST"])
@login_required()
def report(listing_id: int) -> Any:
    """A logged-in user reports the listing (once); the answer is a message on the listing page."""
    form = forms.ReasonForm()
    values, status = load_form(form, moderation_schemas.ReportIn())
    target = url_for("catalog_pages.listing", listing_id=listing_id) + "#report"
    if values is None:
        messages = [e for f in form for e in f.errors] + list(form.form_errors)
        flash(_(messages[0]) if messages else _("Tell us what is wrong, in 3 to 1000 characters."), "error")
        return redirect(target)
    try:
        reports.report(get_session(), require_user(), listing_id, values["reason"])
    except DomainError as err:
        flash_refusal(err)
        return redirect(target)
    flash(_("Thank you: our team will look at this listing."), "info")
    return redirect(target)


# --- admins ------------------------------------------------------------------------------------------


def _processed_photo(form: Any) -> Any:
    """The form's photo decoded by the media pipeline (outside any transaction, in the bounded image
    pool), or None when no file was chosen; a bad file raises its 4xx domain error (on ``file``)."""
    upload = form.photo.data
    if upload is None or not getattr(upload, "filename", None):
        return None
    end_reads(get_session())
    return deps().image_processor.process(upload.read())


def _form_error(form: Any, err: DomainError) -> int:
    """A domain error on the form (a photo's error, named ``file`` by the pipeline, on ``photo``);
    nothing of the submission is kept (:func:`show_errors`)."""
    if "file" in err.fields:
        err.fields = {**{k: v for k, v in err.fields.items() if k != "file"}, "photo": err.fields["file"]}
    elif not err.fields and err.code in ("unsupported_media_type", "payload_too_large", "media_unavailable",
                                         "media_busy"):
        err.fields = {"photo": [err.message]}
    return show_errors(form, err)


@bp.route("/admin/sentra", methods=["GET", "POST"])
@login_required(ADMIN)
def admin_sentra() -> Any:
    """Every sentra, and a form to create one (with an optional photo)."""
    form = forms.SentraForm()
    values, status = load_form(form, schemas.SentraIn())
    if values is not None:
        try:
            photo = _processed_photo(form)
            session, user = get_session(), require_user(ADMIN)
            sentra = services.create_sentra(session, user, values)
            if photo is not None:
                services.set_photo(session, deps().media_storage, user, sentra.id, photo)
        except DomainError as err:
            status = _form_error(form, err)
        else:
            flash(_("The sentra is created."), "info")
            return redirect(url_for(".admin_sentra_edit", sentra_id=sentra.id))
    return render_template("sentra/admin_sentra.html", items=services.list_sentra(get_session()), form=form), status


def _shop_ids(raw: list[str]) -> set[int] | None:
    ids = {int(v) for v in raw if v.isascii() and v.isdigit() and 0 < int(v) <= MAX_ID}
    return ids if len(ids) == len(set(raw)) else None


@bp.route("/admin/sentra/<int:sentra_id>/edit", methods=["GET", "POST"])
@login_required(ADMIN)
def admin_sentra_edit(sentra_id: int) -> Any:
    """Edit a sentra: name, focus, story, photo, and which shops of its kelurahan are in it."""
    session = get_session()
    sentra = services.get_sentra(session, sentra_id)
    form = forms.SentraEditForm(obj=sentra)
    values, status = load_form(form, schemas.SentraPatch())
    shop_ids = _shop_ids(request.form.getlist("shop_ids")) if form.is_submitted() else None
    if values is not None and shop_ids is None:
        form.form_errors.append(schemas.ID_MESSAGE)
        values, status = None, 422
    if values is not None and shop_ids is not None:
        try:
            photo = _processed_photo(form)
            user = require_user(ADMIN)
            services.update_sentra(session, user, sentra_id, values)
            services.set_members(session, user, sentra_id, shop_ids)
            if photo is not None:
                services.set_photo(session, deps().media_storage, user, sentra_id, photo)
        except DomainError as err:
            status = _form_error(form, err)
        else:
            flash(_("The sentra is saved."), "info")
            return redirect(url_for(".admin_sentra_edit", sentra_id=sentra_id))
    session = get_session()
    sentra = services.get_sentra(session, sentra_id)
    members = shop_ids if shop_ids is not None else {s.id for s in services.candidate_shops(session, sentra)
                                                     if s.sentra_id == sentra.id}
    return render_template("sentra/admin_sentra_edit.html", sentra=sentra, form=form,
                           shops=services.candidate_shops(session, sentra), members=members), status


@bp.route("/admin/shops")
@login_required(ADMIN)
def admin_shops() -> Any:
    """Every shop (suspended ones first) with suspend/reinstate and its sentra."""
    session = get_session()
    return render_template("sentra/admin_shops.html", shops=admin.list_shops(session),
                           sentra=services.list_sentra(session), form=CsrfOnly(formdata=None))


@bp.route("/admin/shops/<int:shop_id>/sentra", methods=["POST"])
@login_required(ADMIN)
def assign(shop_id: int) -> Any:
    """Put a shop in a sentra of its kelurahan (or none)."""
    form = forms.AssignForm()
    if not form.validate_on_submit():
        return redirect(url_for(".admin_shops"))
    raw = (form.sentra_id.data or "").strip()
    try:
        values = schemas.ShopAdminPatch().load({"sentra_id": int(raw) if raw.isdigit() else None})
    except ValidationError:
        flash(_("No such sentra."), "error")
        return redirect(url_for(".admin_shops"))
    return act_then_redirect(lambda: services.assign_shop(get_session(), require_user(ADMIN), shop_id, values["sentra_id"]), url_for(".admin_shops"))


@bp.route("/admin/audit-log")
@login_required(ADMIN)
def audit_log() -> Any:
    """Every admin action, newest first, with the API's filters and a CSV link."""
    args = {k: v for k, v in request.args.items() if v}
    try:
        query = audit_schemas.AuditQuery().load(args, unknown=EXCLUDE)
    except ValidationError as err:
        return render_template("sentra/audit_log.html", rows=[], total=0, args=args,
                               errors=err.normalized_messages(), actions=audit.ACTIONS,
                               action_labels=audit.ACTION_LABELS, target_labels=audit.TARGET_LABELS), 400
    rows, total = audit.entries(get_session(), audit.AuditFilter.from_query(query), page=query["page"],
                                per_page=query["per_page"])
    return render_template("sentra/audit_log.html", rows=rows, total=total, args=args, errors={},
                           actions=audit.ACTIONS, action_labels=audit.ACTION_LABELS, target_labels=audit.TARGET_LABELS)


@bp.route("/admin/moderation/<int:listing_id>/dismiss-reports", methods=["POST"])
@login_required(ADMIN)
def dismiss_reports(listing_id: int) -> Any:
    """Keep a reported listing: close its reports."""
    if CsrfOnly().validate_on_submit():
        try:
            reports.dismiss(get_session(), require_user(ADMIN), listing_id)
        except DomainError as err:
            flash_refusal(err)
    return redirect(url_for("moderation_pages.queue") + "#reported")


@bp.route("/admin/moderation/<int:listing_id>/take-down", methods=["POST"])
@login_required(ADMIN)
def take_down(listing_id: int) -> Any:
    """Take a reported listing down (rejected, with a reason the seller sees)."""
    form = forms.TakeDownForm()
    values, _status = load_form(form, moderation_schemas.TakeDownIn())
    if values is None:
        flash(_(moderation_schemas.REASON_MESSAGE), "error")
    else:
        try:
            reports.take_down(get_session(), require_user(ADMIN), listing_id, values["revision"], values["reason"])
        except DomainError as err:
            flash_refusal(err)
    return redirect(url_for("moderation_pages.queue") + "#reported")
