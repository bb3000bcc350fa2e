"""``GET /api/v1/admin/audit-log``: every admin action, filtered, as JSON or CSV (admins only)."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.web.auth import api_auth
from marketplace.audit import schemas, services
from marketplace.web.transaction import get_session

bp = Blueprint("audit_api", __name__, url_prefix="/api/v1", description="Audit log")

ADMIN = Role.ADMIN.value
#: A CSV export holds at most this many lines (newest first); narrow the filter for more.
CSV_LIMIT = 10_000


@bp.route("/admin/audit-log", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.AuditQuery, location="query")
@bp.response(200, schemas.AuditLogOut)
def audit_log(query: dict[str, Any]) -> Any:
    """Admin actions, newest first: filter by actor, action, target type/id and period (``from``/``to``)."""
    where = services.AuditFilter.from_query(query)
    rows, total = services.entries(get_session(), where, page=query["page"], per_page=query["per_page"])
    return {"items": rows, "page": query["page"], "per_page": query["per_page"], "total": total}


@bp.route("/admin/audit-log.csv", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.AuditQuery, location="query")
@bp.response(200, content_type="text/csv")
def audit_log_csv(query: dict[str, Any]) -> Any:
    """The same filter as CSV (newest first, at most 10,000 lines), for an auditor's spreadsheet."""
    rows, _total = services.entries(get_session(), services.AuditFilter.from_query(query), page=1, per_page=CSV_LIMIT)
    return Response(services.as_csv(rows), mimetype="text/csv",
                    headers={"Content-Disposition": 'attachment; filename="audit-log.csv"'})
