"""Pages: the public programme figures at ``/program`` (with the potential map), and the artisan's
programme profile (birth year, crafts) linked from the account page. Thin: the query is parsed with the
API's schema, the services give the figures."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, flash, redirect, render_template, request, url_for
from marshmallow import ValidationError

from marketplace.figures import charts, potential, profile, services
from marketplace.figures.forms import ProgrammeProfileForm, ProgrammeProfileIn
from marketplace.figures.schemas import ProgrammeFiguresQuery
from marketplace.impact.schemas import bounds, period_of
from marketplace.shops.places import CITIES
from marketplace.web.auth import login_required, require_user
from marketplace.web.deps import deps
from marketplace.web.forms import load_form
from marketplace.web.i18n import gettext as _
from marketplace.web.transaction import get_session

bp = Blueprint("figures_pages", __name__)

QUERY_FIELDS = ("city", "from", "to")


def load_query() -> tuple[dict[str, Any] | None, dict[str, Any]]:
    """The page's query (the API's rules; other parameters such as ``lang`` are not the query's)."""
    try:
        return ProgrammeFiguresQuery().load({k: v for k, v in request.args.items() if k in QUERY_FIELDS}), {}
    except ValidationError as err:
        return None, err.normalized_messages()


def _tip(row: dict[str, Any]) -> str:
    if row["suppressed"]:
        count = _("fewer than 5 artisans")
    else:
        count = _("Artisans: {count}", count=row["artisans"] or 0)
    sentra = _("has a sentra") if row["has_sentra"] else _("no sentra")
    return f"{row['kelurahan']}: {count}, {sentra}"


def page_context(query: dict[str, Any], *, suppress: bool) -> dict[str, Any]:
    """Everything the figures section shows (``/program`` and the admins' impact dashboard)."""
    session = get_session()
    period = period_of(query)
    report = services.figures(session, period, city=query.get("city"), suppress=suppress, now=deps().clock())
    mapped = potential.potential(session, period, suppress=suppress)
    grids = {c["city"]: charts.kelurahan_grid(c["kelurahan"], label=_("Artisans per kelurahan: {city}", city=c["city"]),
                                              tip=_tip) for c in mapped["cities"]}
    f = report["totals"]["funnel"]
    funnel = None if f["suppressed"] else charts.funnel_chart(
        [(_("Attended a training"), f["trained"]), (_("Opened a shop"), f["opened_shop"]),
         (_("First approved listing"), f["first_listing"]), (_("First sale"), f["first_sale"])],
        label=_("Training funnel"))
    first, last = bounds(query)
    return {"report": report, "potential": mapped, "grids": grids, "funnel_chart": funnel, "first": first,
            "last": last, "cities": CITIES, "export": {"city": query.get("city") or "", "from": first.isoformat(),
                                                        "to": last.isoformat()}}


@bp.route("/program")
def program() -> Any:
    """The programme's figures for a period (public; groups under 5 artisans show no number) and the
    potential map of every kelurahan."""
    query, errors = load_query()
    if query is None:
        return render_template("figures/program.html", errors=errors, args=request.args), 422
    return render_template("figures/program.html", errors={}, args=request.args,
                           **page_context(query, suppress=True))


@bp.route("/account/programme", methods=["GET", "POST"])
@login_required()
def programme_profile() -> Any:
    """The artisan's programme profile: birth year (private: shown to nobody, counted only in the
    programme's figures) and the crafts they practise."""
    user = require_user()
    session = get_session()
    form = ProgrammeProfileForm()
    values, status = load_form(form, ProgrammeProfileIn())
    if values is not None:
        profile.set_profile(session, user.id, **values)
        flash(_("Your programme profile is saved."), "info")
        return redirect(url_for("figures_pages.programme_profile"))
    if not form.is_submitted():
        mine = profile.profile_of(session, user.id)
        form.birth_year.data = str(mine["birth_year"]) if mine["birth_year"] else ""
        form.crafts.data = mine["crafts"]
    return render_template("figures/profile.html", form=form), status
