"""The admins' impact dashboard: the period and grouping form, the charts (server-side SVG), the tables,
and each table as CSV. Thin: the query is parsed with the API's schema, one service gives the report."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, render_template, request
from marshmallow import ValidationError

from marketplace.accounts.models import Role
from marketplace.web.auth import login_required
from marketplace.web.transaction import get_session
from marketplace.errors import DomainError
from marketplace.formatting import format_idr
from marketplace.web.i18n import gettext as _
from marketplace.impact import charts, schemas, services
from marketplace.impact.api import csv_response
from marketplace.figures.views import page_context

bp = Blueprint("impact_pages", __name__)

ADMIN = Role.ADMIN.value


def _load() -> tuple[dict[str, Any] | None, dict[str, Any]]:
    try:
        return schemas.ImpactQuery().load(request.args.to_dict()), {}
    except ValidationError as err:
        return None, err.normalized_messages()


def _group_name(item: dict[str, Any]) -> str:
    return item["group"] if item["group"] is not None else _("(no sentra)")


@bp.route("/admin/impact")
@login_required(ADMIN)
def dashboard() -> Any:
    """Impact figures of a period: monthly GMV, GMV per group, buyers' provinces, and every figure per group."""
    query, errors = _load()
    report = None
    if query is not None:
        try:
            report = services.report(get_session(), query["group_by"], schemas.period_of(query))
        except DomainError as err:
            errors = err.fields or {"_schema": [err.message]}
    args = request.args.to_dict()
    if report is None:
        return render_template("impact/dashboard.html", report=None, errors=errors, args=args,
                               groupings=services.GROUPINGS), 422
    first, last = schemas.bounds(query)
    bars = charts.bar_chart([(_group_name(i), i["gmv_idr"]) for i in report["items"]],
                            label=_("GMV per group"), fmt=format_idr)
    months = charts.month_chart(report["months"], label=_("GMV per month"),
                                legend=(_("GMV"), _("GMV shipped outside the shop's city")))
    export = {"group_by": query["group_by"], "from": first.isoformat(), "to": last.isoformat()}
    # The programme figures of the same period, every number shown (admins), with the funnel and the map.
    programme = page_context({"from_": first, "to": last}, suppress=False)
    return render_template("impact/dashboard.html", report=report, errors={}, args=args, first=first, last=last,
                           bars=bars, months=months, export=export, groupings=services.GROUPINGS, group_name=_group_name,
                           programme=programme)


@bp.route("/admin/impact/export.csv")
@login_required(ADMIN)
def export() -> Any:
    """One dashboard table as CSV (``table=items|months|provinces``), as the API gives it."""
    query, errors = _load()
    if query is None:
        return {"error": {"code": "validation_error", "message": _("Check the period and grouping."),
                          "fields": errors}}, 422
    report = services.report(get_session(), query["group_by"], schemas.period_of(query))
    return csv_response(report, query["table"])
