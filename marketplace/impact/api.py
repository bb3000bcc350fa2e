"""The impact figures API for admins: JSON by default, one table as CSV with ``format=csv``. Thin: the query
is parsed by :class:`~marketplace.impact.schemas.ImpactQuery`, the report comes from ``services``."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth
from marketplace.web.apidoc import error_responses
from marketplace.web.transaction import get_session
from marketplace.impact import export, schemas, services

bp = Blueprint("impact_api", __name__, url_prefix="/api/v1", description="Impact figures")

ADMIN = Role.ADMIN.value

#: ``format=csv`` answers ``text/csv`` instead of JSON (the same 200).
CSV_DOC = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}


def csv_response(report: dict[str, Any], table: str) -> Response:
    return Response(export.to_csv(report, table), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="{export.filename(report, table)}"'})


@bp.route("/admin/impact", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.ImpactQuery, location="query")
@bp.response(200, schemas.ImpactOut)
@bp.doc(**error_responses(422))
@bp.doc(**CSV_DOC)
def impact(query: dict[str, Any]) -> Any:
    """Impact figures of a period by kelurahan, city or sentra, with the totals, the months and the buyers'
    provinces; ``format=csv`` gives one of those tables (``table=items|months|provinces``) as CSV."""
    report = services.report(get_session(), query["group_by"], schemas.period_of(query))
    if query["format"] == "csv":
        return csv_response(report, query["table"])
    return report
