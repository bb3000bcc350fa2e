"""Pages: browse by place of origin (city → kelurahan → sentra), each kelurahan's and sentra's public
page (story, artisans, products), a buyer's report of a listing; and the admins' sentra, shops and
audit-log pages. Thin: a schema (the API's) parses, one service acts, the page renders."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from marshmallow import EXCLUDE, ValidationError

from marketplace.accounts.models import Role
from marketplace.accounts.security import login_required, require_user
from marketplace.audit import schemas as audit_schemas, services as audit
from marketplace.catalog import schemas as catalog_schemas, services as catalog
from marketplace.db import get_session
from marketplace.errors import DomainError
from marketplace.forms import load_form
from marketplace.i18n import gettext as _
from marketplace.moderation import reports, schemas as moderation_schemas
from marketplace.sentra import forms, schemas, services
from marketplace.shops import admin, places

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
    )


@bp.route("/sentra/<slug>")
def sentra_page(slug: str) -> Any:
    """One sentra: its story, photo, artisans and their products."""
    session = get_session()
    view = services.get_by_slug(session, slug)
    return render_template("sentra/show.html", sentra=view, shops=services.shops_of(session, view.id),
                           products=_products(sentra_id=view.id))


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
        get_session().rollback()
        flash(_(err.message), "error")
        return redirect(target)
    flash(_("Thank you: our team will look at this listing."), "info")
    return redirect(target)


# --- admins ------------------------------------------------------------------------------------------


@bp.route("/admin/sentra", methods=["GET", "POST"])
@login_required(ADMIN)
def admin_sentra() -> Any:
    """Every sentra, and a form to create one."""
    form = forms.SentraForm()
    values, status = load_form(form, schemas.SentraIn())
    if values is not None:
        try:
            services.create_sentra(get_session(), require_user(ADMIN), values)
        except DomainError as err:
            get_session().rollback()
            form.form_errors.append(err.message)
            status = 409
        else:
            flash(_("The sentra is created."), "info")
            return redirect(url_for(".admin_sentra"))
    return render_template("sentra/admin_sentra.html", items=services.list_sentra(get_session()), form=form), status


@bp.route("/admin/shops")
@login_required(ADMIN)
def admin_shops() -> Any:
    """Every shop (suspended ones first) with suspend/reinstate and its sentra."""
    session = get_session()
    return render_template("sentra/admin_shops.html", shops=admin.list_shops(session),
                           sentra=services.list_sentra(session), form=forms.CsrfOnly(formdata=None))


def _shop_action(action: Any) -> Any:
    try:
        action()
    except DomainError as err:
        get_session().rollback()
        flash(_(err.message), "error")
    else:
        flash(_("Done."), "info")
    return redirect(url_for(".admin_shops"))


@bp.route("/admin/shops/<int:shop_id>/suspend", methods=["POST"])
@login_required(ADMIN)
def suspend(shop_id: int) -> Any:
    """Suspend a shop, with a reason."""
    form = forms.ReasonForm()
    values, _status = load_form(form, schemas.SuspendIn())
    if values is None:
        flash(_("Give a reason of 3 to 1000 characters."), "error")
        return redirect(url_for(".admin_shops"))
    return _shop_action(lambda: admin.suspend(get_session(), require_user(ADMIN), shop_id, values["reason"]))


@bp.route("/admin/shops/<int:shop_id>/reinstate", methods=["POST"])
@login_required(ADMIN)
def reinstate(shop_id: int) -> Any:
    """Lift a shop's suspension."""
    if not forms.CsrfOnly().validate_on_submit():
        return redirect(url_for(".admin_shops"))
    return _shop_action(lambda: admin.reinstate(get_session(), require_user(ADMIN), shop_id))


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
    return _shop_action(lambda: services.assign_shop(get_session(), require_user(ADMIN), shop_id, values["sentra_id"]))


@bp.route("/admin/audit-log")
@login_required(ADMIN)
def audit_log() -> Any:
    """Every admin action, newest first, with the API's filters and a CSV link."""
    args = {k: v for k, v in request.args.items() if v}
    try:
        query = audit_schemas.AuditQuery().load(args, unknown=EXCLUDE)
    except ValidationError as err:
        return render_template("sentra/audit_log.html", rows=[], total=0, args=args,
                               errors=err.normalized_messages(), actions=audit.ACTIONS), 400
    rows, total = audit.entries(get_session(), audit.AuditFilter.from_query(query), page=query["page"],
                                per_page=query["per_page"])
    return render_template("sentra/audit_log.html", rows=rows, total=total, args=args, errors={},
                           actions=audit.ACTIONS)


@bp.route("/admin/moderation/<int:listing_id>/dismiss-reports", methods=["POST"])
@login_required(ADMIN)
def dismiss_reports(listing_id: int) -> Any:
    """Keep a reported listing: close its reports."""
    if forms.CsrfOnly().validate_on_submit():
        try:
            reports.dismiss(get_session(), require_user(ADMIN), listing_id)
        except DomainError as err:
            get_session().rollback()
            flash(_(err.message), "error")
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
            get_session().rollback()
            flash(_(err.message), "error")
    return redirect(url_for("moderation_pages.queue") + "#reported")
