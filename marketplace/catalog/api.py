"""Catalogue search JSON API: ``GET /api/v1/listings`` (anyone; approved listings only)."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask_smorest import Blueprint

from marketplace.web import pagecache
from marketplace.catalog import schemas, services
from marketplace.web.transaction import get_session

bp = Blueprint("catalog_api", __name__, url_prefix="/api/v1", description="Catalogue search")


@bp.route("/listings", methods=["GET"])
@pagecache.anonymous
@bp.arguments(schemas.SearchQuery, location="query")
@bp.response(200, schemas.SearchPage)
def search(query: dict[str, Any]) -> Any:
    """Search approved listings by words, category, place and price; paged, sorted."""
    return services.search(get_session(), services.SearchParams.from_query(query),
                           memo=current_app.extensions["catalog_memo"])
