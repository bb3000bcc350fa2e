"""Programme figures JSON API: public (groups under 5 artisans suppressed) and the admins' (every number).
JSON by default, every row flat as CSV with ``format=csv``. Thin: the query is parsed by
:class:`~marketplace.figures.schemas.ProgrammeFiguresQuery`, the figures come from ``services``."""

from __future__ import annotations

from typing import Any

from flask import Response
from flask_smorest import Blueprint

from marketplace.accounts.models import Role
from marketplace.figures import schemas, services
from marketplace.impact.export import _write
from marketplace.impact.schemas import period_of
from marketplace.web.apidoc import error_responses
from marketplace.web.auth import api_auth
from marketplace.web.deps import deps
from marketplace.web.transaction import get_session

bp = Blueprint("figures_api", __name__, url_prefix="/api/v1", description="Programme figures")

ADMIN = Role.ADMIN.value
CSV_DOC = {"responses": {200: {"content": {"text/csv": {"schema": {"type": "string"}}}}}}
CSV_COLUMNS = (
"level", "city", "kelurahan", "sentra", "sentra_id", "suppressed", *services.FIGURES)


def report(query: dict[str, Any], *, suppress: bool) -> dict[str, Any]:
    return services.figures(get_session(), period_of(query), city=query.get("city"), suppress=suppress,
                            now=deps().clock())


def csv_response(found: dict[str, Any], name: str) -> Response:
    columns = tuple(dict.fromkeys((*CSV_COLUMNS, *schemas.csv_rows(found)[0].keys())))
    return Response(_write(columns, schemas.csv_rows(found)), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}.csv"'})


@bp.route("/programme/figures", methods=["GET"])
@bp.arguments(schemas.ProgrammeFiguresQuery, location="query")
@bp.response(200, schemas.ProgrammeFiguresOut)
@bp.doc(**error_responses(422))
@bp.doc(**CSV_DOC)
def public_figures(query: dict[str, Any]) -> Any:
    """The programme's figures of a period per city, kelurahan and sentra, with the training funnel; a
    group of fewer than 5 artisans shows no number (``suppressed: true``). ``format=csv``: every row."""
    found = report(query, suppress=True)
    return csv_response(found, "programme-figures") if query["format"] == "csv" else found


@bp.route("/admin/programme/figures", methods=["GET"])
@api_auth(ADMIN)
@bp.arguments(schemas.ProgrammeFiguresQuery, location="query")
@bp.response(200, schemas.ProgrammeFiguresOut)
@bp.doc(**error_responses(422))
@bp.doc(**CSV_DOC)
def admin_figures(query: dict[str, Any]) -> Any:
    """The same figures with nothing suppressed (admins only)."""
    found = report(query, suppress=False)
    return csv_response(found, "programme-figures-all") if query["format"] == "csv" else found
